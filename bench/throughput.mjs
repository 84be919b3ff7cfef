// Issue 13, row "1,000 `true` jobs": jobs/s of hookd at HOOKD_MAX_PARALLEL=8 and =2 (background
// jobs, the pool that setting bounds; one RunJobs, done when the last job is terminal) side by side
// with tsp -S 8 (one `tsp -n true` client call per job, as a hook would queue them), xargs -P 8 and
// a bare Node loop spawning `sh -c true` (pipes, detached, 8 in flight) — all interleaved.
import { spawnSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { interleave, ratio } from "./lib/interleave.mjs"
import { completedJobs, runToEnd } from "./lib/jobs.mjs"
import { getTsp } from "./lib/peers.mjs"
import { perSec } from "./lib/report.mjs"
import { manyJobs } from "./lib/requests.mjs"
import { makeGitRepo, onExit, openSupervisor } from "./lib/sandbox.mjs"
import { timeOnce } from "./lib/timing.mjs"

/** jobs/s of one RunJobs of `count` background `true` jobs, checked through ListJobs. */
export const hookdBurst = async (supervisor, repo, count) => {
  const { ms, invocationId } = await runToEnd(supervisor.sandbox.socket, repo, manyJobs(count))
  const completed = await completedJobs(supervisor.sandbox.socket, repo, invocationId)
  if (completed !== count + 1) throw new Error(`ListJobs shows ${completed - 1}/${count} completed`)
  return (count * 1000) / ms
}

const TSP_BURST = `
"$TSP" -C
i=0; while [ "$i" -lt "$1" ]; do "$TSP" -n true >/dev/null; i=$((i+1)); done
"$TSP" -w >/dev/null 2>&1
while "$TSP" | grep -q -e running -e queued; do sleep 0.002; done`

/** tsp with its own server (TS_SOCKET in the sandbox), 8 slots; `stop()` ends that server (tsp -K). */
const tspPeer = (sandbox, bin) => {
  const env = { ...sandbox.env, TSP: bin, TS_SOCKET: join(sandbox.dir, "tsp.sock"), TMPDIR: join(sandbox.dir, "tsp-tmp") }
  mkdirSync(env.TMPDIR, { recursive: true })
  const r = spawnSync(bin, ["-S", "8"], { env, encoding: "utf8", timeout: 10_000 })
  if (r.status !== 0) throw new Error(`tsp -S 8 exited ${r.status}: ${r.stderr}`)
  return {
    burst: (count) => (count * 1000) / timeOnce("sh", ["-c", TSP_BURST, "sh", String(count)], { env, timeoutMs: 120_000 }),
    stop: onExit(() => spawnSync(bin, ["-K"], { env, timeout: 10_000 }))
  }
}

const NODE_LOOP = `
const { spawn } = require("node:child_process")
const [count, inFlight] = process.argv.slice(1).map(Number)
let started = 0, ended = 0
const t0 = performance.now()
const next = () => {
  if (started === count) return
  started++
  const c = spawn("sh", ["-c", "true"], { stdio: ["ignore", "pipe", "pipe"], detached: true })
  c.stdout.resume(); c.stderr.resume()
  c.on("close", () => (++ended === count ? console.log(performance.now() - t0) : next()))
}
for (let i = 0; i < inFlight; i++) next()`

/** jobs/s of the bare loop, timed inside it (Node's own start-up left out). */
const nodeLoop = (env, count) => {
  const r = spawnSync(process.execPath, ["-e", NODE_LOOP, String(count), "8"], { env, encoding: "utf8", timeout: 120_000 })
  if (r.status !== 0) throw new Error(`node spawn loop exited ${r.status}: ${r.stderr}`)
  return (count * 1000) / Number(r.stdout.trim())
}

export const benchThroughput = async ({ report, sizes }) => {
  const count = sizes.jobs
  report.section(`${count} \`true\` jobs: jobs/s, interleaved (hookd P=8 · P=2 · tsp -S 8 · xargs -P 8 · node loop)`)
  const p8 = await openSupervisor({ HOOKD_MAX_PARALLEL: "8" })
  const p2 = await openSupervisor({ HOOKD_MAX_PARALLEL: "2" })
  let tsp
  try {
    const repo8 = makeGitRepo(p8.sandbox, "burst")
    const repo2 = makeGitRepo(p2.sandbox, "burst")
    const tspBin = getTsp()
    if (tspBin.bin) tsp = tspPeer(p8.sandbox, tspBin.bin)
    const env = p8.sandbox.env
    // One job in each repo first: the repo's database is created outside the measured bursts.
    await hookdBurst(p8, repo8, 1)
    await hookdBurst(p2, repo2, 1)
    const r = await interleave(
      [
        { name: "hookd P=8", run: () => hookdBurst(p8, repo8, count) },
        { name: "tsp", skip: tspBin.skip, run: () => tsp.burst(count) },
        { name: "hookd P=2", run: () => hookdBurst(p2, repo2, count) },
        { name: "xargs", run: () => (count * 1000) / timeOnce("sh", ["-c", `seq 1 ${count} | xargs -P 8 -n 1 sh -c true`], { env }) },
        { name: "node loop", run: () => nodeLoop(env, count) }
      ],
      { runs: sizes.throughputRuns, warmup: 0, budgetMs: sizes.rowBudgetMs }
    )
    const [h8, h2, t, x, n] = ["hookd P=8", "hookd P=2", "tsp", "xargs", "node loop"].map((k) => r.get(k).median)
    const vs = [t !== undefined ? `${ratio(h8, t)} tsp` : undefined, `${ratio(h8, x)} xargs`, `${ratio(h8, n)} node loop`]
    report.row(`hookd, HOOKD_MAX_PARALLEL=8 (median of ${r.rounds})`, perSec(h8), {
      vs: vs.filter(Boolean).join(", "),
      target: "≥ 500 jobs/s and ≥ tsp",
      met: h8 >= 500 && (t === undefined || h8 >= t)
    })
    report.row("hookd, HOOKD_MAX_PARALLEL=2", perSec(h2), { vs: `P=8 is ${ratio(h8, h2)} P=2`, target: "P=8 faster than P=2", met: h8 > h2 })
    if (t === undefined) report.skip("tsp -S 8 (peer)", tspBin.skip)
    else report.row("tsp -S 8 (peer; one `tsp -n true` per job)", perSec(t))
    report.row("xargs -P 8 -n 1 sh -c true (peer)", perSec(x))
    report.row("bare node spawn loop, 8 in flight (peer)", perSec(n))
  } finally {
    tsp?.stop()
    await p8.close()
    await p2.close()
  }
}
