// The one way the benchmarks compare things (issue 13, TEAM.md): the variants run in turn, A B C
// A B C …, so that a change of load on the shared machine weighs on all of them alike, and each is
// summed up by its median. A figure is then quoted as a ratio of two medians of the same run.
//
//   const r = await interleave([
//     { name: "hookd", run: async () => { …; return jobsPerSec } },   // a figure of its own …
//     { name: "node -e 0", run: command(process.execPath, ["-e", "0"]) } // … or its wall time in ms
//   ], { runs: 9, warmup: 1, budgetMs: 60_000 })
//   r.get("hookd").median; ratio(r.get("hookd").median, r.get("node -e 0").median) // "1.23×"
//
// `run` may return a number (that run's figure: jobs/s, MB/s, ms, bytes …) or nothing (its wall
// time in ms is taken). A variant with `skip: "<why>"` is not run (a peer that is missing).
import { BARE_NODE, median, timeOnce } from "./timing.mjs"

/**
 * Runs `warmup` unmeasured rounds, then up to `runs` measured ones; once `budgetMs` is spent (and
 * at least `minRuns` measured rounds are done) no new round starts, so a slow machine still
 * finishes. Returns a Map name → { median, samples, skip }, and `rounds` on the map.
 */
export const interleave = async (variants, { runs = 15, warmup = 1, budgetMs = Infinity, minRuns = 1 } = {}) => {
  const samples = variants.map(() => [])
  const began = performance.now()
  let rounds = 0
  for (let i = 0; i < warmup + runs; i++) {
    if (i >= warmup + minRuns && performance.now() - began > budgetMs) break
    for (const [k, variant] of variants.entries()) {
      if (variant.skip) continue
      const start = performance.now()
      const figure = await variant.run({ round: i, warmup: i < warmup })
      if (i >= warmup) samples[k].push(typeof figure === "number" ? figure : performance.now() - start)
    }
    if (i >= warmup) rounds++
  }
  const results = new Map(
    variants.map((v, k) => [v.name, { median: samples[k].length > 0 ? median(samples[k]) : undefined, samples: samples[k], skip: v.skip }])
  )
  results.rounds = rounds
  return results
}

/** A variant's `run` that times one synchronous run of a command (throws when it exits non-zero). */
export const command = (file, args, options = {}) => () => timeOnce(file, args, options)

/** `node -e 0` in `env`: the floor every process-start figure is compared with. */
export const nodeFloor = (env) => command(BARE_NODE.command, BARE_NODE.args, { env })

/** "1.23×" (a / b), or "n/a" when either side is missing. */
export const ratio = (a, b, digits = 2) =>
  a === undefined || b === undefined || !Number.isFinite(a / b) ? "n/a" : `${(a / b).toFixed(digits)}×`
