#!/usr/bin/env node
// The supervisor's own CPU per job (issue 13, jobs/s), without processes: bench/lib/runner-cpu.ts runs
// invocations of 1,000 `true` jobs through the real store, slots, job fibers and logs with leaders
// that exit at once (no spawner, no socket, no fork), in a child process per measurement. With
// --baseline, the same program is built against another checkout's src/ and the two are run
// INTERLEAVED (A B A B …): the figure to quote is the ratio of the medians. Printed, never asserted.
//
//   node bench/runner-cpu.mjs [--baseline DIR]… [--runs N] [--jobs N] [--no-optimize-for-size] [--ops]
//     --baseline DIR           another checkout's root (its src/ and node_modules)
//     --ops                    instead: the Effect operations evaluated per job, by kind (one run each)
//     --no-optimize-for-size   without the V8 flag the supervisor's loader sets
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { bundleTo, ROOT } from "./lib/bundle.mjs"
import { interleave } from "./lib/interleave.mjs"

const { values: opts } = parseArgs({
  options: {
    baseline: { type: "string", multiple: true, default: [] },
    runs: { type: "string", default: "5" },
    jobs: { type: "string", default: "1000" },
    "no-optimize-for-size": { type: "boolean", default: false },
    ops: { type: "boolean", default: false }
  }
})
const program = readFileSync(join(ROOT, "bench", "lib", "runner-cpu.ts"), "utf8")

/** This checkout's program with its imports resolved in `tree` (so a baseline measures its own src/). */
const bundleFor = (tree, k) =>
  bundleTo(`runner-cpu-${k}`, { stdin: { contents: program, resolveDir: join(tree, "bench", "lib"), sourcefile: "runner-cpu.ts", loader: "ts" } }, tree)

const trees = [{ name: "this tree", root: ROOT }, ...opts.baseline.map((dir) => ({ name: dir, root: resolve(dir) }))]
const bundles = await Promise.all(trees.map((t, k) => bundleFor(t.root, k)))
const env = { ...process.env, RUNNER_CPU_JOBS: opts.jobs, RUNNER_CPU_OPTIMIZE_FOR_SIZE: opts["no-optimize-for-size"] ? "0" : "1" }
const runOnce = (k, extra = {}) =>
  JSON.parse(execFileSync(process.execPath, [bundles[k]], { env: { ...env, ...extra }, encoding: "utf8" }).trim().split("\n").pop())
if (opts.ops) {
  console.log(`Effect operations evaluated per \`true\` job (${opts.jobs} jobs, 8 slots), by kind (Commit = suspend and its kin)`)
  for (const [k, t] of trees.entries()) {
    const { opsPerJob } = runOnce(k, { RUNNER_CPU_OPS: "1", RUNNER_CPU_ROUNDS: "3" })
    const total = Object.values(opsPerJob).reduce((a, b) => a + b, 0)
    console.log(`  ${t.name.padEnd(40)} ${total.toFixed(1).padStart(6)}: ${Object.entries(opsPerJob).filter(([, n]) => n >= 0.5).map(([kind, n]) => `${kind} ${n.toFixed(1)}`).join(", ")}`)
  }
  process.exit(0)
}
const load = [loadavg()[0]]
const results = await interleave(
  trees.map((t, k) => ({
    name: t.name,
    run: () => runOnce(k).cpuUsPerJob
  })),
  { runs: Number(opts.runs), warmup: 0 }
)
load.push(loadavg()[0])
const ref = results.get("this tree").median
console.log(`supervisor work per \`true\` job in process (${opts.jobs} jobs, 8 slots${opts["no-optimize-for-size"] ? ", no --optimize-for-size" : ""}), median of ${results.rounds} interleaved runs; load average ${load.map((l) => l.toFixed(2)).join(" → ")}`)
for (const t of trees) {
  const r = results.get(t.name)
  console.log(`  ${t.name.padEnd(40)} ${r.median.toFixed(1).padStart(7)} µs CPU/job  (${(r.median / ref).toFixed(2)}× this tree; runs ${r.samples.map((x) => x.toFixed(0)).join(" ")})`)
}
