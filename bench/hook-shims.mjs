#!/usr/bin/env node
// perf-shim's A/B of the two ways a hookd shim hands a hook over (issue 13), interleaved with
// `node -e 0`, no hook and lefthook: a background-only post-checkout through the spool (no node) and
// through hookctl (HOOKD_SPOOL=0, the path before spool shims and the fallback), and a waited
// pre-commit `true` through the wait shim's fifos (no node) and through hookctl (HOOKD_SPOOL=0). bench/hooks-git.mjs has the table's rows; this one shows what the spool saves.
//   node bench/hook-shims.mjs [runs]        (default 15 after 2 warm-ups; npm run build first)
import { loadavg } from "node:os"
import { installShims } from "./client-e2e.mjs"
import { interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { cleanUpPeers, getLefthook } from "./lib/peers.mjs"
import { makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"
import { timeOnce } from "./lib/timing.mjs"

const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 15)

const sandbox = makeSandbox()
const hookd = await startSupervisor(sandbox)
try {
  const env = sandbox.env
  const config = "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: bg, run: 'true'}\n  pre-commit:\n    jobs:\n      - {name: check, run: 'true'}\n"
  const none = makeGitRepo(sandbox, "none")
  const withHookd = makeGitRepo(sandbox, "hookd", { "hookd.yml": config })
  installShims(sandbox, withHookd)
  const lefthook = getLefthook()
  let withLefthook
  if (lefthook.bin !== undefined) {
    withLefthook = makeGitRepo(sandbox, "lefthook", {
      "lefthook.yml": "post-checkout:\n  commands:\n    bg:\n      run: 'true >/dev/null 2>&1 &'\npre-commit:\n  commands:\n    check:\n      run: 'true'\n"
    })
    timeOnce(lefthook.bin, ["install"], { cwd: withLefthook, env })
  }
  const lefthookEnv = { ...env, LEFTHOOK_BIN: lefthook.bin ?? "" }
  const checkout = (repo, extra = {}) => () => timeOnce("git", ["checkout", "-q", "-B", "bench"], { cwd: repo, env: { ...env, ...extra } })
  const commit = (repo, extra = {}) => () => timeOnce("git", ["commit", "-q", "--allow-empty", "-m", "bench"], { cwd: repo, env: { ...env, ...extra } })

  const before = loadavg()[0]
  const r = await interleave(
    [
      { name: "node", run: nodeFloor(env) },
      { name: "checkout", run: checkout(none) },
      { name: "checkout spool", run: checkout(withHookd) },
      { name: "checkout hookctl", run: checkout(withHookd, { HOOKD_SPOOL: "0" }) },
      { name: "checkout lefthook", skip: lefthook.skip, run: checkout(withLefthook, lefthookEnv) },
      { name: "commit", run: commit(none) },
      { name: "commit hookd", run: commit(withHookd) },
      { name: "commit hookctl", run: commit(withHookd, { HOOKD_SPOOL: "0" }) },
      { name: "commit lefthook", skip: lefthook.skip, run: commit(withLefthook, lefthookEnv) }
    ],
    { runs, warmup: 2 }
  )
  const m = (name) => r.get(name).median
  const floor = m("node")
  const added = (name, base) => (m(name) === undefined ? undefined : m(name) - m(base))
  const fmt = (x) => (x === undefined ? "skipped" : `+${x.toFixed(1)} ms`)
  console.log(`hook shims: medians of ${r.rounds} interleaved rounds, node ${process.version}, load average ${before.toFixed(1)} → ${loadavg()[0].toFixed(1)}`)
  console.log(`node -e 0                              ${floor.toFixed(1)} ms`)
  const lh = added("checkout lefthook", "checkout")
  for (const [label, name] of [
    ["post-checkout, hookd spool shim", "checkout spool"],
    ["post-checkout, hookd via hookctl", "checkout hookctl"],
    ["post-checkout, lefthook", "checkout lefthook"]
  ]) {
    const x = added(name, "checkout")
    console.log(`${label.padEnd(38)} ${fmt(x).padStart(10)}  ${ratio(x, floor)} node -e 0  ${ratio(x, lh)} lefthook's`)
  }
  if (lefthook.skip) console.log(`lefthook skipped: ${lefthook.skip}`)
  const lhCommit = added("commit lefthook", "commit")
  for (const [label, name] of [
    ["pre-commit (waited), hookd wait shim", "commit hookd"],
    ["pre-commit (waited), hookd via hookctl", "commit hookctl"],
    ["pre-commit (waited), lefthook", "commit lefthook"]
  ]) {
    const x = added(name, "commit")
    console.log(`${label.padEnd(38)} ${fmt(x).padStart(10)}  ${ratio(x, floor)} node -e 0  ${ratio(x, lhCommit)} lefthook's`)
  }
  console.log(`wait shim / hookctl (added time)        ${ratio(added("commit hookd", "commit"), added("commit hookctl", "commit"))}`)
} finally {
  await hookd.stop()
  cleanUpPeers()
  sandbox.cleanup()
}
