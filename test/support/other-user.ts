// A second local user for the tests of attacks by another uid (issue 14 items 1 and 4). Only root
// can make one: such tests skip with a message otherwise. The user is a throwaway system account
// without a home directory, removed in afterAll.
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { REPO_ROOT } from "./supervisor"

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0

export const SKIP_NOT_ROOT = "needs root to create a second user (useradd); run the suite as root to check it"

export interface OtherUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
  remove(): void
}

export const createOtherUser = (): OtherUser => {
  const name = `hookdtest${randomBytes(4).toString("hex")}`
  execFileSync("useradd", ["-M", "-r", "-s", "/usr/sbin/nologin", name], { stdio: "pipe" })
  const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim())
  const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim())
  return {
    name,
    uid,
    gid,
    remove: () => {
      execFileSync("userdel", [name], { stdio: "pipe" })
    }
  }
}

/** A copy of what running hookd and hookctl needs, in a directory every user can reach. */
export interface ReachableInstall {
  readonly hookd: string
  readonly hookctl: string
  remove(): void
}

/**
 * The checkout may sit below a directory only its owner may enter (`git clone . "$(mktemp -d)/c"`),
 * where another user cannot run its bundles: such tests run a copy of package.json, bin/, dist/
 * (without code caches), schema/ and node-sqlite3-wasm in a 0755 temp directory instead.
 */
export const reachableInstall = (): ReachableInstall => {
  const root = mkdtempSync(join(tmpdir(), "hookd-install-"))
  chmodSync(root, 0o755)
  const copy = (path: string, filter?: (source: string) => boolean) =>
    cpSync(join(REPO_ROOT, path), join(root, path), { recursive: true, ...(filter ? { filter } : {}) })
  copy("package.json")
  copy("bin")
  copy("schema")
  copy(join("node_modules", "node-sqlite3-wasm"))
  copy("dist", (source) => !source.endsWith(".v8cache") && !source.endsWith(".map") && !source.includes("test-cache"))
  return {
    hookd: join(root, "dist", "hookd.mjs"),
    hookctl: join(root, "bin", "hookctl"),
    remove: () => rmSync(root, { recursive: true, force: true })
  }
}

/**
 * For a test file (or describe) whose supervisor runs as another user: as root, a throwaway user and
 * a copy of hookd it can reach (the checkout may be below a 0700 directory), made before the tests
 * and removed after them; not root, neither (`user` and `install` stay undefined).
 */
export const useThrowawayUser = (): { user?: OtherUser; install?: ReachableInstall } => {
  const made: { user?: OtherUser; install?: ReachableInstall } = {}
  beforeAll(() => {
    if (!isRoot) return
    made.user = createOtherUser()
    made.install = reachableInstall()
  })
  afterAll(() => {
    made.user?.remove()
    made.install?.remove()
  })
  return made
}

/** Gives `dir` (recursively) to `user`, only its owner may enter it; the ids to run as that user. */
export const handOver = (dir: string, user: OtherUser): { uid: number; gid: number } => {
  execFileSync("chown", ["-R", `${user.uid}:${user.gid}`, dir])
  chmodSync(dir, 0o700)
  return { uid: user.uid, gid: user.gid }
}

/** setpriv drops to the user and execs the command itself, so the pid we hold is the command's. */
const asUser = (user: OtherUser): string[] => [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"]

/** Runs a command as `user` and returns its stdout. */
export const runAs = (user: OtherUser, file: string, args: ReadonlyArray<string>): string =>
  execFileSync("setpriv", [...asUser(user), file, ...args], { encoding: "utf8", cwd: "/", stdio: "pipe" })

/** What another user's listener saw: how many connections it accepted and how many bytes it read. */
export interface Listener {
  readonly proc: ChildProcess
  connections(): number
  bytes(): number
  stop(): Promise<void>
}

// Listens on argv[1] (a path, or an abstract name given as "@name"), makes a path socket
// connectable by anyone, reports events on stdout and answers every connection with argv[2].
const LISTENER_SOURCE = `
const net = require("node:net"), fs = require("node:fs")
const where = process.argv[1], reply = process.argv[2]
const path = where.startsWith("@") ? "\\0" + where.slice(1) : where
const server = net.createServer((s) => {
  process.stdout.write("connection\\n")
  s.on("data", (d) => process.stdout.write("data " + d.length + "\\n"))
  s.on("error", () => {})
  if (reply) s.end(reply)
})
server.listen(path, () => {
  if (!where.startsWith("@")) fs.chmodSync(path, 0o777)
  process.stdout.write("listening\\n")
})
`

/** Starts a listener as `user` and resolves once it listens. */
export const listenAs = (user: OtherUser, where: string, reply = ""): Promise<Listener> => {
  const proc = spawn("setpriv", [...asUser(user), process.execPath, "-e", LISTENER_SOURCE, where, reply], {
    cwd: "/",
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  proc.stdout!.on("data", (d) => (out += d))
  proc.stderr!.on("data", (d) => (err += d))
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()))
  const listener: Listener = {
    proc,
    connections: () => out.split("\n").filter((l) => l === "connection").length,
    bytes: () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("data "))
        .reduce((sum, l) => sum + Number(l.slice(5)), 0),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM")
      await exited
    }
  }
  return new Promise((resolve, reject) => {
    const onData = () => {
      if (out.includes("listening\n")) {
        proc.stdout!.off("data", onData)
        resolve(listener)
      }
    }
    proc.stdout!.on("data", onData)
    void exited.then(() => reject(new Error(`listener as ${user.name} exited before listening: ${err}`)))
  })
}
