#!/usr/bin/env node
// `npm run bench`: every row of issue 13's table, side by side with the peers (tsp, pm2, lefthook,
// xargs, `cat > file`, a bare Node spawn loop, `node -e 0`), interleaved (A B A B …), medians and
// ratios, each row with its target; then the smaller benchmarks. Figures are printed, never
// asserted. Everything runs in temp sandboxes (own HOOKD_STATE_DIR and HOOKD_SOCKET — never the
// user's supervisor), removed at the end, with pm2 killed and tsp's server stopped.
//   node bench/run.mjs [--dry-run] [--all] [--only a,b] [--markdown FILE]
//   --dry-run        tiny sizes, one round, no installs: proves the bench runs (seconds, not minutes)
//   --all            also the benchmarks outside issue 13 (input hashing, huge configs, input cache)
//   --only a,b       only these parts (names as printed in "parts:" at the start)
//   --markdown FILE  write the rows as Markdown tables (for docs/performance.md)
//   BENCH_RUNS=N         rounds per process-start median (default 15)
//   BENCH_RSS_WAIT_S=N   the "RSS later" wait after the burst (default 10; the issue's figure is 60)
//   BENCH_NO_INSTALL=1   no apt-get/npm: peers that are not there are skipped
//   BENCH_PEERS_DIR=dir  keep the npm peers (pm2, lefthook) there between runs
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const { values: flags } = parseArgs({
  options: { "dry-run": { type: "boolean" }, all: { type: "boolean" }, only: { type: "string" }, markdown: { type: "string" } }
})
if (flags["dry-run"]) process.env.BENCH_NO_INSTALL = "1"

const { benchHookctl } = await import("./client-e2e.mjs")
const { benchGitHooks } = await import("./hooks-git.mjs")
const { measureInputCacheCheckouts } = await import("./inputs-e2e.mjs")
const { benchLogThroughput } = await import("./log-throughput.mjs")
const { benchMemory } = await import("./memory.mjs")
const { benchStartHistory } = await import("./start-history.mjs")
const { measureFollowLatency } = await import("./supervisor-e2e.mjs")
const { benchThroughput } = await import("./throughput.mjs")
const { ms, Report } = await import("./lib/report.mjs")
const { makeGitRepo, makeSandbox, startSupervisor } = await import("./lib/sandbox.mjs")
const { seedRepo, repoIdOf } = await import("./lib/seed.mjs")

const here = dirname(fileURLToPath(import.meta.url))
const runs = Number(process.env.BENCH_RUNS ?? 15)
const sizes = flags["dry-run"]
  ? { jobs: 20, throughputRuns: 1, runs: 1, gitRuns: 1, startRuns: 1, warmup: 0, rowBudgetMs: 5_000, rssWaitS: 0, settleMs: 100,
      manyRepos: 3, jobsPerRepo: 5, bigRepoJobs: 50, lsJobs: 20, logBytes: 1e6, logProbeBytes: 1e5, logRuns: 1, followLines: 5 }
  : { jobs: 1000, throughputRuns: 5, runs, gitRuns: 10, startRuns: 5, warmup: 1, rowBudgetMs: 30_000,
      rssWaitS: Number(process.env.BENCH_RSS_WAIT_S ?? 10), settleMs: 2000,
      manyRepos: 100, jobsPerRepo: 100, bigRepoJobs: 49_000, lsJobs: 1000, logBytes: 200e6, logProbeBytes: 2e6, logRuns: 3, followLines: 200 }

const report = new Report()
const began = performance.now()

/** Runs one part; a failure prints "failed: <reason>", the run goes on and exits 1 at the end. */
const attempt = async (label, body) => {
  try {
    await body()
  } catch (e) {
    report.fail(label, (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 300))
  }
}

/** A standalone benchmark file run as a child process; its output goes into the report. */
const script = (file, title, args = []) => async () => {
  report.section(title)
  if (flags["dry-run"]) return report.row(file, "not run", { note: "(--dry-run runs only the parts above)" })
  const r = spawnSync(process.execPath, [join(here, file), ...args], {
    encoding: "utf8",
    timeout: 180_000
  })
  if (r.status !== 0) throw new Error(`${file} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`)
  report.lines(r.stdout)
}

/** The rows that share one supervisor: hookctl, git hooks, follow latency. */
const clientAndHooks = async () => {
  const sandbox = makeSandbox()
  let hookd
  try {
    const lsRepo = makeGitRepo(sandbox, "ls")
    await seedRepo(sandbox.env.HOOKD_STATE_DIR, { repoId: repoIdOf(lsRepo), root: lsRepo, jobs: sizes.lsJobs })
    const emptyRepo = makeGitRepo(sandbox, "empty")
    hookd = await startSupervisor(sandbox)
    report.section("hookctl against a running supervisor, interleaved with node -e 0")
    await attempt("hookctl", () => benchHookctl({ report, sizes }, sandbox, { emptyRepo, lsRepo, lsJobs: sizes.lsJobs }))
    await attempt("git hooks", () => benchGitHooks({ report, sizes }, sandbox))
    report.section("Follow latency, end to end (job prints `date +%s%N` → TailLogs follower receives)")
    await attempt("follow latency", async () => {
      const f = await measureFollowLatency(sandbox, makeGitRepo(sandbox, "follow"), sizes.followLines)
      report.row(`p50 / p99 of ${sizes.followLines} lines`, `${ms(f.p50)} / ${ms(f.p99)}`, {
        note: `max ${ms(f.max)}`,
        target: "p50 < 2 ms, p99 < 20 ms",
        met: f.p50 < 2 && f.p99 < 20
      })
    })
    if (flags.all) {
      report.section("inputs: git checkout → job terminal (foreground job: git waits), interleaved")
      await attempt("inputs: checkout", async () => {
        const t = await measureInputCacheCheckouts(sandbox, { runs: sizes.gitRuns, warmup: sizes.warmup, budgetMs: sizes.rowBudgetMs })
        report.row(`cache hit: skipped as unchanged (median of ${t.rounds})`, ms(t.hitMs), { note: `${t.hits} hits; node -e 0 alongside: ${ms(t.nodeMs)}` })
        report.row("real run of `true` (no inputs)", ms(t.realMs), { note: `difference ${ms(t.realMs - t.hitMs)}` })
      })
    }
  } finally {
    await hookd?.stop()
    sandbox.cleanup()
  }
}

// Issue 13's rows first, then the smaller benchmarks. Other helpers add their bench/<topic>.mjs
// as a `script(...)` line here (standalone, printing its own rows) or as a part with a bench(ctx).
const ctx = { report, sizes }
const parts = [
  ["throughput", () => benchThroughput(ctx)],
  ["client", clientAndHooks],
  ["start", () => benchStartHistory(ctx)],
  ["memory", () => benchMemory(ctx)],
  ["logs", () => benchLogThroughput(ctx)],
  ["hook-shims", script("hook-shims.mjs", "Spool shim vs the hookctl path (bench/hook-shims.mjs, perf-shim's A/B, 3 rounds)", ["3"])],
  ["store", script("store.mjs", "Store (bench/store.mjs: RepoStore in process, fresh WAL database)")],
  ["follow-in-process", script("follow-latency.mjs", "Job log live feed, in process (bench/follow-latency.mjs)")],
  ...(flags.all
    ? [
        ["input-hashing", script("input-hashing.mjs", "Input keys, in process (bench/input-hashing.mjs)")],
        ["config-validation", script("config-validation.mjs", "Huge configs (bench/config-validation.mjs)")]
      ]
    : [])
]
const only = flags.only?.split(",").map((s) => s.trim())

report.header([
  `hookd benchmarks${flags["dry-run"] ? " (DRY RUN: tiny sizes, figures meaningless)" : ""} — node ${process.version}, ${process.platform} ${process.arch}, ` +
    `${availableParallelism()} × ${cpus()[0]?.model.trim() ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString()}`,
  `load average at start ${loadavg().map((x) => x.toFixed(2)).join(" ")}; medians of interleaved rounds (A B A B …), ratios within one run`,
  `parts: ${parts.map(([name]) => name).join(", ")}${only ? ` (--only ${only.join(",")})` : ""}`
])

// Sandboxes, supervisors, tsp's and pm2's servers and the npm peers' temp dir are undone at exit,
// interrupted or not (bench/lib/sandbox.mjs onExit).
for (const [name, body] of parts) {
  if (only && !only.includes(name)) continue
  await attempt(name, body)
}

report.section("Summary")
report.row("total bench time", `${((performance.now() - began) / 1000).toFixed(1)} s`, {
  note: `load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`
})
for (const s of report.skipped) console.log(`  skipped: ${s}`)
for (const s of report.failed) console.log(`  FAILED: ${s}`)
if (flags.markdown) writeFileSync(flags.markdown, report.markdown())
process.exitCode = report.failed.length > 0 ? 1 : 0
