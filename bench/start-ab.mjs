// Supervisor start-up against its job history (issue 13): spawn → first answer and RSS once the
// start-up work is done, with an empty state dir, 100 repos × 100 jobs and 49,000 jobs in one repo,
// each start interleaved with `node -e 0` (A B A B …) and reported as a ratio to it; then
// `hookctl ls` (default view) in the 49k repo against `node -e 0`. Figures only, never asserted.
// History is written through the store API (test/support/seed-history.ts), never by running jobs.
// Usage: node src/tools/bundle.mjs && node bench/start-ab.mjs   (BENCH_RUNS=N, BENCH_HOOKD=<dist/hookd.mjs>;
// BENCH_BASELINE=<another build's hookd.mjs> interleaves that build too: A B C A B C …)
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { dirname, join } from "node:path"
import { FramedClient } from "./lib/framed-client.mjs"
import { HOOKD_BUNDLE, makeGitRepo, makeSandbox, rssOf } from "./lib/sandbox.mjs"
import { repoIdOf, seedManyRepos, seedRepo } from "./lib/seed.mjs"
import { command, interleave, nodeFloor } from "./lib/interleave.mjs"
import { BARE_NODE, median, timeOnce, withTimeout } from "./lib/timing.mjs"

const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const HOOKD = process.env.BENCH_HOOKD ?? HOOKD_BUNDLE
const BASELINE = process.env.BENCH_BASELINE


const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Spawns hookd and connects as soon as the socket answers: ms from spawn to the Welcome. */
const startAndAnswer = async (sandbox, hookd = HOOKD) => {
  const spawnedAt = performance.now()
  const proc = spawn(process.execPath, [hookd], { env: sandbox.env, stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  proc.stderr.on("data", (d) => (stderr += d))
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal)))
  const deadline = spawnedAt + 30_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hookd exited ${proc.exitCode}: ${stderr.slice(-400)}`)
    try {
      const c = await FramedClient.connect(sandbox.socket)
      try {
        const frame = await c.request("Hello", { client: "bench", client_version: "0" }, 30_000)
        if (frame.kind !== "Welcome") throw new Error(JSON.stringify(frame).slice(0, 300))
      } finally {
        c.close()
      }
      break
    } catch (e) {
      if (!/ENOENT|ECONNREFUSED/.test(String(e?.code ?? e?.message ?? e))) throw e
      if (performance.now() > deadline) throw new Error(`no answer within 30 s: ${stderr.slice(-400)}`)
      await sleep(1)
    }
  }
  const answeredMs = performance.now() - spawnedAt
  return { proc, exited, answeredMs, stderr: () => stderr }
}

/** Waits until hookd.log has `count` start sweeps (the start-up work done), bounded. */
const untilStartSweep = async (sandbox, count) => {
  const log = join(sandbox.env.HOOKD_STATE_DIR, "hookd.log")
  await withTimeout(
    (async () => {
      for (;;) {
        let text = ""
        try {
          text = readFileSync(log, "utf8")
        } catch {}
        if (text.split('"reason":"start"').length - 1 >= count) return
        await sleep(20)
      }
    })(),
    60_000,
    "start sweep"
  )
}

const stop = async (run) => {
  run.proc.kill("SIGTERM")
  await withTimeout(run.exited, 30_000, "hookd stop").catch(() => run.proc.kill("SIGKILL"))
}

const measureScenario = async (label, prepare) => {
  const sandbox = makeSandbox()
  try {
    const seededAt = performance.now()
    const extra = await prepare(sandbox)
    const seedMs = performance.now() - seededAt
    const bare = []
    const builds = [HOOKD, ...(BASELINE !== undefined ? [BASELINE] : [])]
    const answered = builds.map(() => [])
    const rss = builds.map(() => [])
    let sweeps = 0
    for (let i = 0; i < RUNS + 1; i++) {
      const b = timeOnce(BARE_NODE.command, BARE_NODE.args, { env: sandbox.env })
      if (i > 0) bare.push(b) // the first round warms the page cache and runs the migrations
      for (const [k, build] of builds.entries()) {
        const run = await startAndAnswer(sandbox, build)
        await untilStartSweep(sandbox, ++sweeps)
        await sleep(300)
        const r = rssOf(run.proc.pid)
        await stop(run)
        if (i === 0) continue
        answered[k].push(run.answeredMs)
        rss[k].push(r)
      }
    }
    const nodeMs = median(bare)
    const figures = builds.map((build, k) => ({ build, answeredMs: median(answered[k]), ratio: median(answered[k]) / nodeMs, rssBytes: median(rss[k]) }))
    return { label, sandbox, extra, seedMs, nodeMs, figures, sweeps }
  } catch (e) {
    sandbox.cleanup()
    throw e
  }
}

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")

console.log(`hookd start-up against history (${HOOKD}), ${RUNS} interleaved runs; load ${load()}`)
const results = []
results.push(await measureScenario("empty", async () => undefined))
results.push(
  await measureScenario("100 repos × 100 jobs", async (sandbox) => {
    await seedManyRepos(sandbox.env.HOOKD_STATE_DIR, 100, 100)
  })
)
results.push(
  await measureScenario("49,000 jobs in one repo", async (sandbox) => {
    const repo = makeGitRepo(sandbox, "big")
    await seedRepo(sandbox.env.HOOKD_STATE_DIR, { repoId: repoIdOf(repo), root: repo, jobs: 49_000 })
    return { repo }
  })
)
for (const [k, build] of (BASELINE !== undefined ? [HOOKD, BASELINE] : [HOOKD]).entries()) {
  console.log(build)
  const empty = results[0].figures[k]
  for (const r of results) {
    const f = r.figures[k]
    console.log(
      `  ${r.label.padEnd(26)} spawn → first answer ${f.answeredMs.toFixed(0).padStart(5)} ms = ${f.ratio.toFixed(2)}× node -e 0 (${r.nodeMs.toFixed(0)} ms)` +
        `   RSS after start ${mb(f.rssBytes)} MB (${f.rssBytes >= empty.rssBytes ? "+" : ""}${mb(f.rssBytes - empty.rssBytes)} vs empty)   [seeded in ${(r.seedMs / 1000).toFixed(1)} s]`
    )
  }
}

// `hookctl ls` (limit 20) in the 49k repo, against node -e 0, with the supervisor up (each build's hookctl with its own hookd).
const big = results[2]
for (const build of BASELINE !== undefined ? [HOOKD, BASELINE] : [HOOKD]) {
  const run = await startAndAnswer(big.sandbox, build)
  try {
    await untilStartSweep(big.sandbox, ++big.sweeps)
    const hookctlBin = join(dirname(dirname(build)), "bin", "hookctl")
    const r = await interleave(
      [
        { name: "node", run: nodeFloor(big.sandbox.env) },
        { name: "ls", run: command(hookctlBin, ["ls"], { cwd: big.extra.repo, env: big.sandbox.env }) }
      ],
      { runs: RUNS * 2, warmup: 2 }
    )
    const [nodeMs, lsMs] = [r.get("node").median, r.get("ls").median]
    console.log(`hookctl ls (49,000 jobs, default view) [${hookctlBin}]  ${lsMs.toFixed(0)} ms = ${(lsMs / nodeMs).toFixed(2)}× node -e 0 (${nodeMs.toFixed(0)} ms)`)
  } catch (e) {
    console.log(`hookctl ls (49,000 jobs) [${build}]: failed: ${String(e.message).split("\n").slice(0, 3).join(" ")}`)
  } finally {
    await stop(run)
  }
}
console.log(`load average after: ${load()}`)
for (const r of results) r.sandbox.cleanup()
