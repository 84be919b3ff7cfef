// The socket path's preparation as plain steps (SPEC §1, §7), effect-free: the loader's first stage
// (first-stage.ts) binds the socket before the supervisor's bundle loads; socket-path.ts wraps the
// same steps in typed errors. Called only while holding the singleton, so any socket file left at the
// path belongs to a dead supervisor.
import * as fs from "node:fs"
import { dirname } from "node:path"

export interface SocketPathProblem {
  readonly path: string
  readonly reason: "NotADirectory" | "DirNotOwned" | "DirTooOpen" | "NotASocket" | "Io"
  readonly message: string
  readonly cause?: unknown
}

const currentUid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined)

/** A pure check of the socket directory's lstat; undefined when it is fine. */
export const socketDirProblemOf = (
  dir: string,
  stat: Pick<fs.Stats, "isDirectory" | "uid" | "mode">,
  uid: number | undefined
): SocketPathProblem | undefined => {
  if (!stat.isDirectory()) {
    return { path: dir, reason: "NotADirectory", message: `the socket directory ${dir} is not a directory; remove it or set HOOKD_SOCKET elsewhere` }
  }
  if (uid !== undefined && stat.uid !== uid) {
    return {
      path: dir,
      reason: "DirNotOwned",
      message: `the socket directory ${dir} is owned by uid ${stat.uid}, not by you (uid ${uid}); set HOOKD_SOCKET to a path in a directory you own`
    }
  }
  const mode = stat.mode & 0o777
  if ((mode & 0o077) !== 0) {
    return {
      path: dir,
      reason: "DirTooOpen",
      message: `the socket directory ${dir} has mode ${mode.toString(8).padStart(4, "0")}, more open than 0700; fix it with: chmod 700 ${dir}`
    }
  }
  return undefined
}

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException)?.code

/** Runs one step; a thrown error becomes an Io problem naming what could not be done. */
const step = <A>(path: string, what: string, run: () => A): A | SocketPathProblem => {
  try {
    return run()
  } catch (cause) {
    return { path, reason: "Io", message: `cannot ${what} ${path}: ${(cause as Error).message}`, cause }
  }
}

const isProblem = (value: unknown): value is SocketPathProblem =>
  typeof value === "object" && value !== null && "reason" in value && "message" in value && "path" in value

/**
 * mkdir -p the socket's directory 0700 (an existing one must be ours and 0700), then remove a
 * stale socket file at the path. A non-socket file at the path is refused and never deleted.
 */
export const prepareSocketPathSync = (path: string): SocketPathProblem | undefined => {
  const dir = dirname(path)
  const created = step(dir, "create the socket directory", () => fs.mkdirSync(dir, { recursive: true, mode: 0o700 }))
  if (isProblem(created)) return created
  // mkdir's mode is filtered by the umask; a directory we just made gets exactly 0700.
  if (created !== undefined) {
    const chmodded = step(dir, "chmod 700", () => fs.chmodSync(dir, 0o700))
    if (isProblem(chmodded)) return chmodded
  }
  const dirStat = step(dir, "inspect", () => fs.lstatSync(dir))
  if (isProblem(dirStat)) return dirStat
  const problem = socketDirProblemOf(dir, dirStat, currentUid())
  if (problem) return problem

  const existing = step(path, "inspect", () => fs.lstatSync(path, { throwIfNoEntry: false }))
  if (isProblem(existing)) return existing
  if (existing === undefined) return undefined
  if (!existing.isSocket()) {
    return { path, reason: "NotASocket", message: `${path} exists and is not a socket; refusing to delete it (move it away or set HOOKD_SOCKET)` }
  }
  const removed = step(path, "remove the stale socket", () => {
    try {
      fs.unlinkSync(path)
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw error
    }
  })
  return isProblem(removed) ? removed : undefined
}
