#!/usr/bin/env node
// How long Status waits while the supervisor loads a 1 MiB hookd.yml (issue 14 item 8): the
// YAML parse of a file that size is ~1.8 s of CPU, and it used to run on the supervisor's thread.
// Two builds side by side, interleaved (A B A B …): `--base <hookd.mjs>` (e.g. main's, copied
// before the change) and this worktree's dist/hookd.mjs. Each round sends one RunJobs that loads
// the config (a syntax error on its last line, so the parse is the whole load) and, on another
// connection, Status after Status until the RunJobs answer arrives; the round's figure is the
// slowest Status. Printed, never asserted.   node bench/config-status.mjs --base .tmp/base/hookd.mjs
// (the other build must sit inside the checkout, so that it finds node_modules/node-sqlite3-wasm)
import { writeFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import { FramedClient } from "./lib/framed-client.mjs"
import { interleave, ratio } from "./lib/interleave.mjs"
import { runJobs } from "./lib/requests.mjs"
import { HOOKD_BUNDLE, makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at >= 0 ? process.argv[at + 1] : fallback
}
const base = arg("--base")
const runs = Number(arg("--runs", "7"))
if (base === undefined) {
  console.error("usage: node bench/config-status.mjs --base <another build's hookd.mjs> [--runs 7]")
  process.exit(2)
}

/** Just under the 1 MiB cap: 23,900 block-style jobs, then a list left open on the last line. */
const configText = () => {
  const lines = ["hooks:", "  pre-commit:", "    jobs:"]
  for (let i = 0; i < 23_900; i++) lines.push(`      - name: job${i}`, `        run: "true"`)
  lines.push("  pre-push: [unclosed")
  return lines.join("\n") + "\n"
}

const setUp = async (bundle) => {
  const sandbox = makeSandbox()
  const repo = makeGitRepo(sandbox, "repo")
  writeFileSync(join(repo, "hookd.yml"), configText())
  const hookd = await startSupervisor(sandbox, { bundle })
  const { jobs: _none, ...fromConfig } = runJobs(repo, [], { hook: "pre-commit" })
  return { sandbox, hookd, fromConfig }
}

/** One load of the config; the slowest Status answered meanwhile (ms). */
const slowestStatus = async ({ sandbox, fromConfig }) => {
  const loader = await FramedClient.connect(sandbox.socket)
  const asker = await FramedClient.connect(sandbox.socket)
  try {
    let loaded = false
    const run = loader.request("RunJobs", fromConfig, 120_000).then((answer) => {
      loaded = true
      if (answer.kind !== "Error") throw new Error(`expected the config's syntax error, got ${JSON.stringify(answer).slice(0, 200)}`)
    })
    let slowest = 0
    while (!loaded) {
      const sent = performance.now()
      await asker.request("Status", {}, 120_000)
      slowest = Math.max(slowest, performance.now() - sent)
    }
    await run
    return slowest
  } finally {
    loader.close()
    asker.close()
  }
}

const variants = [
  { name: "base", setup: await setUp(base) },
  { name: "this", setup: await setUp(HOOKD_BUNDLE) }
]
try {
  const results = await interleave(
    variants.map((v) => ({ name: v.name, run: () => slowestStatus(v.setup) })),
    { runs, warmup: 1 }
  )
  const [a, b] = [results.get("base"), results.get("this")]
  console.log(`slowest Status during a 1 MiB config load, median of ${results.rounds} interleaved rounds (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs):`)
  console.log(`  base ${base}: ${a.median.toFixed(0)} ms   (${a.samples.map((x) => x.toFixed(0)).join(" ")})`)
  console.log(`  this ${HOOKD_BUNDLE}: ${b.median.toFixed(0)} ms   (${b.samples.map((x) => x.toFixed(0)).join(" ")})`)
  console.log(`  this / base: ${ratio(b.median, a.median)}`)
} finally {
  for (const v of variants) {
    await v.setup.hookd.stop()
    v.setup.sandbox.cleanup()
  }
}
