#!/usr/bin/env node
// What hookd's shims add to git, against lefthook (a native binary) and bare node, in one
// interleaved run (issue 13): a background-only post-checkout (spool shim, and the hookctl path with
// HOOKD_SPOOL=0), a waited pre-commit `true`, and hookctl --version / status / ls (1,000 jobs).
//   node bench/hook-shims.mjs [runs]     (default 15 after 2 warm-ups; npm run build first)
// lefthook comes from npm into $TMPDIR/hookd-bench-lefthook (once); without npm/network its rows say skipped.
import { execFileSync } from "node:child_process"
import { existsSync, writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { requestOnce } from "./lib/framed-client.mjs"
import { git, HOOKCTL_BIN, makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"
import { BARE_NODE, interleavedMedians } from "./lib/timing.mjs"

const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 15)

/** lefthook's native binary, installed from npm into a temp dir on first use; or why not. */
const lefthookBinary = () => {
  const dir = join(tmpdir(), "hookd-bench-lefthook")
  const bin = join(dir, "node_modules", "lefthook-linux-x64", "bin", "lefthook")
  if (!existsSync(bin)) {
    try {
      execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir, "lefthook"], { stdio: "ignore", timeout: 120_000 })
    } catch (e) {
      return { skipped: `npm install lefthook failed (${e.message.split("\n")[0]})` }
    }
  }
  return existsSync(bin) ? { bin } : { skipped: `no lefthook binary for ${process.platform}-${process.arch} at ${bin}` }
}

const sandbox = makeSandbox()
const hookd = await startSupervisor(sandbox)
try {
  const env = sandbox.env
  const hookdConfig = "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: bg, run: 'true'}\n  pre-commit:\n    jobs:\n      - {name: check, run: 'true'}\n"
  const plain = makeGitRepo(sandbox, "plain")
  const withHookd = makeGitRepo(sandbox, "hookd", { "hookd.yml": hookdConfig })
  execFileSync(process.execPath, [HOOKCTL_BIN, "hooks", "install"], { cwd: withHookd, env, stdio: "ignore" })
  const lefthook = lefthookBinary()
  let withLefthook
  if (lefthook.bin !== undefined) {
    withLefthook = makeGitRepo(sandbox, "lefthook", {
      "lefthook.yml": "post-checkout:\n  commands:\n    bg:\n      run: 'true'\npre-commit:\n  commands:\n    check:\n      run: 'true'\n"
    })
    execFileSync(lefthook.bin, ["install"], { cwd: withLefthook, env, stdio: "ignore" })
  }
  const lefthookEnv = lefthook.bin === undefined ? env : { ...env, PATH: `${join(lefthook.bin, "..")}:${env.PATH}`, LEFTHOOK_QUIET: "meta,summary,execution" }

  const checkout = (cwd, extra = {}) => ({ command: "git", args: ["checkout", "-q", "-B", "bench"], cwd, env: { ...env, ...extra } })
  const commit = (cwd, extra = {}) => ({ command: "git", args: ["commit", "-q", "--allow-empty", "-m", "bench"], cwd, env: { ...env, ...extra } })
  const hookctl = (...args) => ({ command: process.execPath, args: [HOOKCTL_BIN, ...args], cwd: withHookd, env })

  // 1,000 finished jobs in the repo for `hookctl ls` (default view: 20 rows of 1,000).
  const jobs = Array.from({ length: 1000 }, (_, i) => ({ name: `j${i}`, run: "true", background: true }))
  await requestOnce(sandbox.socket, "RunJobs", { repo_root: withHookd, worktree: withHookd, hook: "bench", args: [], env, mode: "background", wait: false, jobs }, "RunAccepted")
  execFileSync(process.execPath, [HOOKCTL_BIN, "wait", "--all"], { cwd: withHookd, env, stdio: "ignore", timeout: 120_000 })

  const rows = [
    ["node -e 0", { ...BARE_NODE, env }],
    ["git checkout (no hook)", checkout(plain)],
    ["git checkout, hookd spool shim", checkout(withHookd)],
    ["git checkout, hookd via hookctl", checkout(withHookd, { HOOKD_SPOOL: "0" })],
    ...(withLefthook ? [["git checkout, lefthook", checkout(withLefthook, lefthookEnv)]] : []),
    ["git commit (no hook)", commit(plain)],
    ["git commit, hookd pre-commit", commit(withHookd)],
    ...(withLefthook ? [["git commit, lefthook", commit(withLefthook, lefthookEnv)]] : []),
    ["hookctl --version", hookctl("--version")],
    ["hookctl status", hookctl("status")],
    ["hookctl ls (1,000 jobs)", hookctl("ls")]
  ]
  const load = loadavg()[0]
  const medians = interleavedMedians(rows.map(([, c]) => c), { runs, warmup: 2 })
  const at = Object.fromEntries(rows.map(([label], i) => [label, medians[i]]))
  const node = at["node -e 0"]
  console.log(`hook shims, median of ${runs} interleaved runs, node ${process.version}, load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}`)
  for (const [label] of rows) console.log(`${label.padEnd(34)} ${at[label].toFixed(1).padStart(8)} ms  ${(at[label] / node).toFixed(2)}× node`)
  const added = (label, base) => at[label] - at[base]
  console.log("")
  console.log("added to git (hook − no hook):")
  const spool = added("git checkout, hookd spool shim", "git checkout (no hook)")
  const viaHookctl = added("git checkout, hookd via hookctl", "git checkout (no hook)")
  const waited = added("git commit, hookd pre-commit", "git commit (no hook)")
  console.log(`  post-checkout, hookd spool shim   ${spool.toFixed(1).padStart(7)} ms`)
  console.log(`  post-checkout, hookd via hookctl  ${viaHookctl.toFixed(1).padStart(7)} ms`)
  if (withLefthook) {
    const lh = added("git checkout, lefthook", "git checkout (no hook)")
    console.log(`  post-checkout, lefthook           ${lh.toFixed(1).padStart(7)} ms   hookd spool / lefthook = ${(spool / lh).toFixed(2)}`)
  } else console.log(`  lefthook                          skipped: ${lefthook.skipped}`)
  console.log(`  pre-commit (waited), hookd        ${waited.toFixed(1).padStart(7)} ms   = ${(waited / node).toFixed(2)}× node -e 0`)
  if (withLefthook) console.log(`  pre-commit (waited), lefthook     ${added("git commit, lefthook", "git commit (no hook)").toFixed(1).padStart(7)} ms`)
} finally {
  await hookd.stop()
  sandbox.cleanup()
}
