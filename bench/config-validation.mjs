#!/usr/bin/env node
// How long loading a huge hookd.yml takes (issue 14 item 8): parse, merge with hookd-local.yml,
// validate (schema + needs), without the caps of src/config/files.ts (MAX_CONFIG_BYTES/JOBS), so
// the figures show how the work grows. Printed, never asserted. `node bench/config-validation.mjs [jobs…]`.
import { availableParallelism, loadavg } from "node:os"
import { importBundled } from "./lib/bundle.mjs"
import { interleave, ratio } from "./lib/interleave.mjs"

const { parseYaml, mergeLocal, validateConfig, validateConfigBySchemaAlone, dependentsClosure } = await importBundled("config-validation", {
  stdin: {
    contents: `
      export { parseYaml } from "./src/config/yaml-source"
      export { mergeLocal } from "./src/config/merge"
      export { validateConfig, validateConfigBySchemaAlone } from "./src/config/validate"
      export { findNeedsProblem, dependentsClosure } from "./src/domain/dag"
    `,
    resolveDir: ".",
    loader: "ts"
  },
  // yaml is CommonJS: an ESM bundle needs a real `require`.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" }
})

/** `jobs` jobs, each needing the one before it (a chain: the deepest needs graph), optionally with a flaw at the end. */
const configText = (jobs, flaw) => {
  const lines = ["hooks:", "  pre-commit:", "    jobs:"]
  for (let i = 0; i < jobs; i++) {
    lines.push(`      - name: job${i}`, `        run: "true"`)
    if (i > 0) lines.push(`        needs: [job${i - 1}]`)
  }
  if (flaw === "duplicate") lines.push(`      - name: job0`, `        run: "true"`)
  if (flaw === "unknown") lines.push(`      - name: last`, `        run: "true"`, `        needs: [nope]`)
  if (flaw === "bad-key") lines.push(`      - name: last`, `        rnu: "true"`)
  return lines.join("\n") + "\n"
}

/** Wall time and this process's CPU time: on a loaded machine the CPU time is the steadier figure. */
const time = (label, f) => {
  const start = performance.now()
  const cpu = process.cpuUsage()
  const out = f()
  const used = process.cpuUsage(cpu)
  const cpuMs = (used.user + used.system) / 1000
  console.log(`  ${label.padEnd(28)} ${(performance.now() - start).toFixed(0).padStart(6)} ms wall ${cpuMs.toFixed(0).padStart(6)} ms cpu`)
  return out
}

console.log(`load average ${loadavg()[0].toFixed(2)} on ${availableParallelism()} CPUs`)

/** This process's CPU milliseconds for one call: steadier than wall time on the shared machine. */
const cpuMs = (f) => {
  const cpu = process.cpuUsage()
  f()
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / 1000
}

/**
 * validateConfig (the schema for the config's frame, the jobs by hand or one by one) against the
 * whole config through the schema in one go (what it did before issue 14 item 8), interleaved.
 */
const compare = async (jobs) => {
  const parsed = parseYaml("hookd.yml", configText(jobs))
  const { value, locations } = parsed.parsed
  const files = ["hookd.yml"]
  const r = await interleave(
    [
      { name: "validateConfig", run: () => cpuMs(() => validateConfig(value, locations, files)) },
      { name: "schema alone (before)", run: () => cpuMs(() => validateConfigBySchemaAlone(value, locations, files)) }
    ],
    { runs: 7, warmup: 1, budgetMs: 60_000, minRuns: 3 }
  )
  const fast = r.get("validateConfig").median
  const before = r.get("schema alone (before)").median
  console.log(
    `${jobs} valid jobs, ${r.rounds} interleaved rounds, median cpu: validateConfig ${fast.toFixed(0)} ms, ` +
      `schema alone ${before.toFixed(0)} ms (${ratio(fast, before)}), load ${loadavg()[0].toFixed(2)}`
  )
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
for (const jobs of sizes.length > 0 ? sizes : [10_000, 50_000]) await compare(jobs)
for (const jobs of sizes.length > 0 ? sizes : [10_000, 50_000]) {
  for (const flaw of [undefined, "duplicate", "unknown", "bad-key"]) {
    const text = configText(jobs, flaw)
    console.log(`${jobs} jobs${flaw ? `, ${flaw}` : ""} (${(text.length / 1048576).toFixed(1)} MiB)`)
    const parsed = time("parse", () => parseYaml("hookd.yml", text))
    if (parsed._tag !== "Parsed") throw new Error(parsed.problem.message)
    const local = parseYaml("hookd-local.yml", "hooks:\n  pre-commit:\n    jobs:\n      - name: job1\n        run: 'false'\n")
    const merged = time("merge hookd-local.yml", () => mergeLocal(parsed.parsed, local.parsed))
    const result = time("validate", () => validateConfig(merged.value, merged.locations, ["hookd.yml", "hookd-local.yml"]))
    if (result._tag === "Left") console.log(`  -> ${result.left.message.slice(0, 100)}`)
    if (!flaw) time("dependentsClosure(job0)", () => dependentsClosure(merged.value.hooks["pre-commit"].jobs, ["job0"]))
  }
}
