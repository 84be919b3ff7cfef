#!/usr/bin/env node
// Client startup cost: median wall time of `node -e 0`, `hookctl --version` and (when a supervisor
// answers on the socket) `hookctl ls`, with ratios to bare node. Run `npm run build` first.
//   node bench/client-startup.mjs [runs]      (default 15 runs after 2 warm-ups)
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { command, interleave, ratio } from "./lib/interleave.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const hookctl = join(root, "bin", "hookctl")
const runs = Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 15)
const WARMUP = 2

// Same rule as src/protocol/paths.ts (without the long-path fallback, irrelevant here).
const socketPath =
  process.env.HOOKD_SOCKET ||
  (process.env.XDG_RUNTIME_DIR
    ? join(process.env.XDG_RUNTIME_DIR, "hookd", "hookd.sock")
    : join(process.env.TMPDIR || tmpdir(), `hookd-${process.getuid?.() ?? 0}`, "hookd.sock"))

const answers = (path) =>
  new Promise((resolve) => {
    const socket = connect({ path })
    socket.once("connect", () => (socket.destroy(), resolve(true)))
    socket.once("error", () => resolve(false))
  })

const env = { ...process.env, HOOKD_NO_AUTOSTART: "1", HOOKD_SOCKET: socketPath }

const rows = [
  ["node -e 0", ["-e", "0"]],
  ["hookctl --version", [hookctl, "--version"]]
]
const live = await answers(socketPath)
if (live) rows.push(["hookctl ls", [hookctl, "ls"]])

console.log(`client startup, median of ${runs} interleaved runs (${WARMUP} warm-ups), node ${process.version}`)
const r = await interleave(
  rows.map(([name, args]) => ({ name, run: command(process.execPath, args, { cwd: root, env }) })),
  { runs, warmup: WARMUP }
)
const base = r.get("node -e 0").median
for (const [label] of rows) {
  const ms = r.get(label).median
  console.log(`${label.padEnd(20)} ${ms.toFixed(1).padStart(8)} ms  ${ratio(ms, base)}`)
}
if (!live) console.log(`hookctl ls           skipped (no supervisor answers at ${socketPath})`)
