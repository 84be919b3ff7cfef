// Issue 13's memory rows as an A/B of two builds (footprint's tool): for each build in turn (A B A B …),
// a fresh sandbox as bench/memory.mjs makes it (a repo with one job in history, the supervisor
// restarted), then: spawn → "started", idle RSS `BENCH_SETTLE_MS` later (default 2000, as the bench),
// a 1,000-job burst at HOOKD_MAX_PARALLEL=8 (its jobs/s too), RSS after it and `BENCH_RSS_WAIT_S` later
// (default 10). Medians per build and the ratios B/A. Figures only, never asserted.
// Usage: node src/tools/bundle.mjs && node bench/memory-ab.mjs <baseline dist/hookd.mjs> [BENCH_RUNS=5]
// (the baseline's dist/ must sit in a checkout whose node_modules and schema/ it can reach).
import { loadavg } from "node:os"
import { completedJobs, runToEnd } from "./lib/jobs.mjs"
import { manyJobs } from "./lib/requests.mjs"
import { HOOKD_BUNDLE, makeGitRepo, makeSandbox, rssOf, startSupervisor } from "./lib/sandbox.mjs"
import { interleave, ratio } from "./lib/interleave.mjs"
import { median } from "./lib/timing.mjs"

const BASELINE = process.argv[2]
if (BASELINE === undefined) throw new Error("usage: node bench/memory-ab.mjs <baseline dist/hookd.mjs>")
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 2000)
const WAIT_S = Number(process.env.BENCH_RSS_WAIT_S ?? 10)
const JOBS = Number(process.env.BENCH_JOBS ?? 1000)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")

const figures = new Map()
const once = (name, bundle) => async ({ warmup }) => {
  const sandbox = makeSandbox({ HOOKD_MAX_PARALLEL: "8" })
  let hookd
  try {
    const repo = makeGitRepo(sandbox, "burst")
    hookd = await startSupervisor(sandbox, { bundle })
    await runToEnd(sandbox.socket, repo, manyJobs(1))
    await hookd.stop()
    hookd = await startSupervisor(sandbox, { bundle, firstAnswer: true })
    const startMs = hookd.answeredAt - hookd.spawnedAt
    await sleep(SETTLE_MS)
    const idle = rssOf(hookd.pid)
    const { ms, invocationId } = await runToEnd(sandbox.socket, repo, manyJobs(JOBS))
    const afterBurst = rssOf(hookd.pid)
    if ((await completedJobs(sandbox.socket, repo, invocationId)) !== JOBS + 1) throw new Error("burst: not all completed")
    await sleep(WAIT_S * 1000)
    const later = rssOf(hookd.pid)
    if (!warmup) {
      const f = figures.get(name) ?? { startMs: [], idle: [], afterBurst: [], later: [], jobsPerSec: [] }
      f.startMs.push(startMs), f.idle.push(idle), f.afterBurst.push(afterBurst), f.later.push(later), f.jobsPerSec.push((JOBS * 1000) / ms)
      figures.set(name, f)
    }
  } finally {
    await hookd?.stop()
    sandbox.cleanup()
  }
}

console.log(`memory A/B: A = ${BASELINE}, B = ${HOOKD_BUNDLE}; ${RUNS} interleaved rounds, settle ${SETTLE_MS} ms, ${JOBS} jobs, later = +${WAIT_S} s; load ${load()}`)
await interleave([{ name: "A", run: once("A", BASELINE) }, { name: "B", run: once("B", HOOKD_BUNDLE) }], { runs: RUNS, warmup: 1 })
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`
for (const [key, show] of [["idle", mib], ["afterBurst", mib], ["later", mib], ["jobsPerSec", (x) => `${x.toFixed(0)} jobs/s`], ["startMs", (x) => `${x.toFixed(1)} ms`]]) {
  const a = median(figures.get("A")[key])
  const b = median(figures.get("B")[key])
  console.log(`${key.padEnd(11)} A ${show(a).padStart(12)}  B ${show(b).padStart(12)}  B/A ${ratio(b, a)}   (B samples: ${figures.get("B")[key].map((x) => show(x)).join(", ")})`)
}
console.log(`load at the end ${load()}`)
