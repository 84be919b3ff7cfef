#!/usr/bin/env node
// `npm run bench`: every benchmark in sequence, one report. Figures are printed, never asserted.
// Process-start figures come with their ratio to `node -e 0` measured in the same run. Everything
// runs in a temp sandbox (own supervisor, state dir and Unix socket), removed at the end.
//   BENCH_RUNS=N   runs per wall-time median (default 15)
import { spawnSync } from "node:child_process"
import { availableParallelism, loadavg } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { installShims, recordedHookRuns, timeCheckouts, timeHookctl } from "./client-e2e.mjs"
import { measureInputCacheCheckouts } from "./inputs-e2e.mjs"
import { mib, ms, Report } from "./lib/report.mjs"
import { makeGitRepo, makeSandbox } from "./lib/sandbox.mjs"
import { BARE_NODE, interleavedMedians } from "./lib/timing.mjs"
import { measureFollowLatency, measureRss, measureStartup, measureThroughput } from "./supervisor-e2e.mjs"

const here = dirname(fileURLToPath(import.meta.url))
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const STARTS = 5
const FOLLOW_LINES = 200
const THROUGHPUT_JOBS = 200
const LS_JOBS = 1000
const CHECKOUT_PAIRS = 10

const report = new Report()
const began = performance.now()

/** Runs one row (or group of rows); a failure prints "skipped: <reason>" and the run goes on. */
const attempt = async (label, body) => {
  try {
    await body()
  } catch (e) {
    report.skip(label, (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 200))
  }
}

/** An existing standalone benchmark, run as a child process; its output goes into the report. */
const runScript = (label, file) =>
  attempt(label, async () => {
    const r = spawnSync(process.execPath, [join(here, file)], { encoding: "utf8", timeout: 120_000 })
    if (r.status !== 0) throw new Error(`${file} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`)
    report.lines(r.stdout)
  })

report.header([
  `hookd benchmarks — node ${process.version}, ${process.platform} ${process.arch}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`,
  `wall-time rows: median of ${RUNS} runs after 2 warm-ups; load average at start ${loadavg()[0].toFixed(2)} (figures drift with load)`
])

// Made first: its environment (temp HOME, own socket, no NODE_OPTIONS or NODE_EXTRA_CA_CERTS) is
// the one every timed process gets, `node -e 0` included — an inherited NODE_EXTRA_CA_CERTS alone
// adds tens of ms to every node start, which would skew the ratios.
const sandbox = makeSandbox()
let hookd
const cleanUp = async () => {
  await hookd?.stop()
  hookd = undefined
  sandbox.cleanup()
}
process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)))
process.once("exit", () => sandbox.cleanup()) // last resort; rmSync is synchronous

report.section("Baseline")
await attempt("node -e 0", async () => {
  const [bare, inherited] = interleavedMedians([{ ...BARE_NODE, env: sandbox.env }, BARE_NODE], { runs: RUNS })
  report.baselineMs = bare
  report.row("node -e 0 (bench environment)", ms(bare), { ratioOfMs: bare })
  report.row("node -e 0 (environment of this shell)", ms(inherited), { ratioOfMs: inherited })
})

report.section("Store (bench/store.mjs: RepoStore in process, fresh WAL database)")
await runScript("store", "store.mjs")

report.section("Job log live feed, in process (bench/follow-latency.mjs)")
await runScript("follow latency (in process)", "follow-latency.mjs")

report.section("Input keys, in process (bench/input-hashing.mjs: src/inputs over a real git repo)")
await runScript("input hashing", "input-hashing.mjs")

try {
  report.section(`Supervisor, end to end over its Unix socket (HOOKD_MAX_PARALLEL default = ${availableParallelism()})`)
  await attempt("supervisor start", async () => {
    const startup = await measureStartup(sandbox, STARTS)
    hookd = startup.hookd
    const baselineMs = startup.nodeMs
    report.row(`spawn → "started" logged (median of ${STARTS})`, ms(startup.loggedMs), { ratioOfMs: startup.loggedMs, baselineMs })
    report.row(`spawn → first answer (Hello → Welcome)`, ms(startup.answeredMs), { ratioOfMs: startup.answeredMs, baselineMs })
  })
  if (hookd === undefined) throw new Error("no supervisor: the remaining rows need one")

  await attempt("idle RSS", async () => {
    const rss = await measureRss(sandbox, hookd.pid)
    report.row("idle RSS (Status.rss_bytes)", mib(rss.statusBytes))
    if (rss.psBytes !== undefined) report.row("idle RSS (ps -o rss)", mib(rss.psBytes))
  })

  const repo = makeGitRepo(sandbox, "jobs")
  await attempt("follow latency (end to end)", async () => {
    const f = await measureFollowLatency(sandbox, repo, FOLLOW_LINES)
    const label = `follow latency, ${FOLLOW_LINES} lines (date +%s%N → TailLogs)`
    report.row(label, `p50 ${ms(f.p50)}`, { note: `p99 ${ms(f.p99)}, max ${ms(f.max)}` })
  })

  await attempt(`RunJobs ${THROUGHPUT_JOBS} × true`, async () => {
    const t = await measureThroughput(sandbox, repo, THROUGHPUT_JOBS)
    report.row(`RunJobs ${THROUGHPUT_JOBS} × true: accepted → last terminal`, ms(t.clientMs))
    report.row(`  throughput`, `${t.jobsPerSec.toFixed(0)} jobs/s`, {
      note: `(supervisor's rows: ${t.supervisorJobsPerSec.toFixed(0)} jobs/s)`
    })
  })

  const lsRepo = makeGitRepo(sandbox, "ls1000")
  let lsRepoReady = false
  // One invocation of LS_JOBS jobs: a throughput figure at scale, and the fixture for `hookctl ls`.
  await attempt(`RunJobs ${LS_JOBS} × true`, async () => {
    const t = await measureThroughput(sandbox, lsRepo, LS_JOBS)
    lsRepoReady = true
    report.row(`RunJobs ${LS_JOBS} × true: accepted → last terminal`, ms(t.clientMs))
    report.row(`  throughput`, `${t.jobsPerSec.toFixed(0)} jobs/s`, {
      note: `(supervisor's rows: ${t.supervisorJobsPerSec.toFixed(0)} jobs/s)`
    })
  })

  await attempt("RSS after the jobs", async () => {
    const rss = await measureRss(sandbox, hookd.pid)
    report.row(`RSS after ${THROUGHPUT_JOBS + LS_JOBS + 1} jobs (Status / ps)`, mib(rss.statusBytes), {
      note: rss.psBytes !== undefined ? `ps: ${mib(rss.psBytes)}` : undefined
    })
  })

  report.section("Client (node bin/hookctl, against the sandbox supervisor; each row interleaved with node -e 0)")
  const emptyRepo = makeGitRepo(sandbox, "empty")
  for (const [label, cwd, args, ready] of [
    ["hookctl --version", emptyRepo, ["--version"], true],
    ["hookctl ls (repo with no jobs)", emptyRepo, ["ls"], true],
    [`hookctl ls (${LS_JOBS} jobs)`, lsRepo, ["ls"], lsRepoReady]
  ]) {
    await attempt(label, async () => {
      if (!ready) throw new Error(`the ${LS_JOBS} jobs could not be recorded (see above)`)
      const { nodeMs, hookctlMs } = timeHookctl(sandbox, cwd, args, RUNS)
      report.row(label, ms(hookctlMs), { ratioOfMs: hookctlMs, baselineMs: nodeMs, note: `(node -e 0 alongside: ${ms(nodeMs)})` })
    })
  }

  report.section(`git checkout, ${2 * CHECKOUT_PAIRS} checkouts per variant, interleaved (medians)`)
  await attempt("git checkout", async () => {
    const config = (jobs) => ({ "hookd.yml": `hooks:\n  post-checkout:\n    jobs:${jobs}\n` })
    const skippedJob = "\n      - name: never\n        run: 'false'\n        skip: true"
    const bare = makeGitRepo(sandbox, "shim-not-installed", config(" []"))
    const noJobs = makeGitRepo(sandbox, "shim-no-jobs", config(" []"))
    const skipped = makeGitRepo(sandbox, "shim-skipped-job", config(skippedJob))
    installShims(sandbox, noJobs)
    installShims(sandbox, skipped)
    const t = timeCheckouts(sandbox, [bare, noJobs, skipped], CHECKOUT_PAIRS)
    // Proof the shims went through the supervisor: one skipped-job row per checkout.
    const recorded = await recordedHookRuns(sandbox, skipped)
    if (recorded !== t.checkouts) throw new Error(`expected ${t.checkouts} recorded hook runs, found ${recorded}`)
    const [bareMs, noJobsMs, skippedMs] = t.checkoutMs
    const extra = (label, shimMs) => {
      report.row(label, ms(shimMs))
      report.row("  extra wall time per checkout", ms(shimMs - bareMs), { ratioOfMs: shimMs - bareMs, baselineMs: t.nodeMs })
    }
    report.row("shim not installed", ms(bareMs), { note: `(node -e 0 alongside: ${ms(t.nodeMs)})` })
    extra("shim installed, post-checkout jobs: []", noJobsMs)
    extra("shim installed, one job, skipped (skip: true)", skippedMs)
  })

  report.section(`inputs: git checkout → job terminal (foreground job: git waits), ${2 * CHECKOUT_PAIRS} checkouts each, interleaved`)
  await attempt("inputs: checkout", async () => {
    const t = await measureInputCacheCheckouts(sandbox, CHECKOUT_PAIRS)
    report.row("cache hit: skipped as unchanged, no process", ms(t.hitMs), { note: `(${t.hits} hits recorded; node -e 0 alongside: ${ms(t.nodeMs)})` })
    report.row("real run of `true` (no inputs)", ms(t.realMs))
    report.row("  difference per checkout", ms(t.realMs - t.hitMs))
  })
} catch (e) {
  report.skip("supervisor benchmarks", e instanceof Error ? e.message : String(e))
} finally {
  await cleanUp()
}

report.section("Summary")
report.row("total bench time", `${((performance.now() - began) / 1000).toFixed(1)} s`, {
  note: `load average at the end ${loadavg()[0].toFixed(2)}`
})
if (report.skipped.length > 0) for (const s of report.skipped) console.log(`  skipped: ${s}`)
