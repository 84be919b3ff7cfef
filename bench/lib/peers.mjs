// The programs issue 13 compares hookd with, got on demand and never into the project: tsp
// (Debian's task-spooler, apt-get installed when missing and we are root), pm2 and lefthook (npm,
// into a temp dir of their own). Each getter returns { bin } or { skip: "<why>" }; the bench prints
// `skipped: <why>` for a peer it cannot get and goes on.
//   BENCH_PEERS_DIR=dir  install the npm peers there and keep them (default: a temp dir, removed at exit)
//   BENCH_NO_INSTALL=1   use only what is already there (no apt-get, no npm)
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { onExit } from "./sandbox.mjs"

const noInstall = () => process.env.BENCH_NO_INSTALL === "1"
const firstLine = (text) => String(text ?? "").trim().split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 160) ?? ""

const run = (file, args, options = {}) =>
  spawnSync(file, args, { encoding: "utf8", timeout: 180_000, stdio: ["ignore", "pipe", "pipe"], ...options })

const onPath = (name) => {
  const r = run("sh", ["-c", 'command -v "$1"', "sh", name])
  return r.status === 0 ? r.stdout.trim() : undefined
}

/** task-spooler's binary is `tsp` on Debian, `ts` elsewhere (where `ts` may also be moreutils'). */
const findTsp = () => {
  for (const name of ["tsp", "ts"]) {
    const bin = onPath(name)
    if (bin && /task spooler/i.test(`${run(bin, ["-V"]).stdout}${run(bin, ["-V"]).stderr}`)) return bin
  }
  return undefined
}

let tsp
export const getTsp = () => (tsp ??= acquireTsp())
const acquireTsp = () => {
  const found = findTsp()
  if (found) return { bin: found }
  if (noInstall()) return { skip: "task-spooler not installed (BENCH_NO_INSTALL=1)" }
  if (process.getuid?.() !== 0) return { skip: "task-spooler not installed and not root: apt-get install task-spooler" }
  if (!onPath("apt-get")) return { skip: "task-spooler not installed and no apt-get here" }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  let r = run("apt-get", ["install", "-y", "-qq", "task-spooler"], { env })
  if (r.status !== 0) {
    run("apt-get", ["update", "-qq"], { env })
    r = run("apt-get", ["install", "-y", "-qq", "task-spooler"], { env })
  }
  const bin = findTsp()
  return bin ? { bin, installed: true } : { skip: `apt-get install task-spooler failed: ${firstLine(r.stderr || r.stdout)}` }
}

let npmPeers
let removePeersDir
const temporaryPeersDir = () => !process.env.BENCH_PEERS_DIR
/** pm2 and lefthook, one `npm install` into a directory of their own (its own package.json). */
const acquireNpmPeers = () => {
  const dir = process.env.BENCH_PEERS_DIR || mkdtempSync(join(tmpdir(), "hookd-bench-peers-"))
  if (temporaryPeersDir()) removePeersDir = onExit(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(dir, { recursive: true })
  const bins = {
    pm2: join(dir, "node_modules", ".bin", "pm2"),
    // The native binary itself, not the package's node wrapper: lefthook's hooks run it directly.
    lefthook: join(dir, "node_modules", `lefthook-${process.platform}-${process.arch}`, "bin", "lefthook")
  }
  let error
  if (Object.values(bins).some((bin) => !existsSync(bin)) && !noInstall()) {
    if (!existsSync(join(dir, "package.json"))) writeFileSync(join(dir, "package.json"), '{"private":true}\n')
    const r = run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "pm2@7", "lefthook@2"], {
      cwd: dir,
      env: { ...process.env, npm_config_update_notifier: "false" }
    })
    if (r.status !== 0) error = `npm install pm2 lefthook failed: ${firstLine(r.stderr || r.stdout)}`
  }
  npmPeers = { dir, bins, error }
  return npmPeers
}

const npmPeer = (name) => {
  const peers = npmPeers ?? acquireNpmPeers()
  if (existsSync(peers.bins[name])) return { bin: peers.bins[name] }
  return { skip: peers.error ?? (noInstall() ? `${name} not in ${peers.dir} (BENCH_NO_INSTALL=1)` : `${name} not installed in ${peers.dir}`) }
}

export const getPm2 = () => npmPeer("pm2")
export const getLefthook = () => npmPeer("lefthook")

/** Removes the npm peers' temp dir now (it is also removed at exit; a BENCH_PEERS_DIR is kept). */
export const cleanUpPeers = () => {
  removePeersDir?.()
  removePeersDir = undefined
  npmPeers = undefined
}
