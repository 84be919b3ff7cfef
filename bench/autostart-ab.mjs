// A command that has to start the supervisor first (issue 13, start): `hookctl status` with no
// supervisor running — hookctl autostarts hookd, waits for it to answer and prints the status —,
// interleaved with `node -e 0` and, given other builds' roots, the same command of those builds
// (A B C A B C …). Each round runs in a fresh sandbox and stops the supervisor it started (SIGTERM,
// found through <state>/hookd.pid), so every round starts one. Figures only, never asserted.
// Usage: node src/tools/bundle.mjs && node bench/autostart-ab.mjs [<root of another build> …]   (BENCH_RUNS=N)
// A root is a checkout or a copy with bin/, dist/, schema/, package.json and node_modules/.
import { existsSync, readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"
import { command, interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { makeSandbox, ROOT } from "./lib/sandbox.mjs"

const RUNS = Number(process.env.BENCH_RUNS ?? 11)
const roots = [ROOT, ...process.argv.slice(2)]
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Stops the supervisor the command autostarted in `sandbox` and waits until it is gone. */
const stopAutostarted = async (sandbox) => {
  const pidFile = join(sandbox.env.HOOKD_STATE_DIR, "hookd.pid")
  for (let i = 0; i < 1000 && !existsSync(pidFile); i++) await sleep(10)
  const pid = Number(readFileSync(pidFile, "utf8").trim())
  process.kill(pid, "SIGTERM")
  for (let i = 0; i < 3000; i++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await sleep(10)
  }
  process.kill(pid, "SIGKILL")
}

const statusWithAutostart = (root) => async () => {
  const sandbox = makeSandbox({ HOOKD_IDLE_EXIT: "1m" })
  // The sandbox turns autostart off by default: this row is about the autostart.
  const { HOOKD_NO_AUTOSTART: _off, ...env } = sandbox.env
  try {
    return command(process.execPath, [join(root, "bin", "hookctl"), "status"], { env })()
  } finally {
    await stopAutostarted(sandbox)
    sandbox.cleanup()
  }
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")
console.log(`hookctl status with no supervisor running (autostart), ${RUNS} interleaved runs; load ${load()}`)
const floorBox = makeSandbox()
const r = await interleave(
  [{ name: "node -e 0", run: nodeFloor(floorBox.env) }, ...roots.map((root) => ({ name: root, run: statusWithAutostart(root) }))],
  { runs: RUNS, warmup: 1 }
)
floorBox.cleanup()
const floor = r.get("node -e 0").median
console.log(`  node -e 0 ${floor.toFixed(1)} ms`)
for (const root of roots) {
  const t = r.get(root).median
  console.log(`  ${t.toFixed(1).padStart(7)} ms = ${ratio(t, floor)} node -e 0${root === ROOT ? "" : ` (this build ${ratio(r.get(ROOT).median, t)} of it)`}   ${root}`)
}
console.log(`load average after: ${load()}`)
