// Prepares the socket's directory and path (SPEC §1, §7). Called only while holding the
// singleton, so any socket file left at the path belongs to a dead supervisor.
import * as fs from "node:fs"
import { dirname } from "node:path"
import { Data, Effect } from "effect"

export class SocketPathError extends Data.TaggedError("SocketPathError")<{
  readonly path: string
  readonly reason: "NotADirectory" | "DirNotOwned" | "DirTooOpen" | "NotASocket" | "Io"
  readonly message: string
  readonly cause?: unknown
}> {}

const currentUid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined)

/** A pure check of the socket directory's lstat; undefined when it is fine. */
export const socketDirProblem = (
  dir: string,
  stat: Pick<fs.Stats, "isDirectory" | "uid" | "mode">,
  uid: number | undefined
): SocketPathError | undefined => {
  if (!stat.isDirectory()) {
    return new SocketPathError({
      path: dir,
      reason: "NotADirectory",
      message: `the socket directory ${dir} is not a directory; remove it or set HOOKD_SOCKET elsewhere`
    })
  }
  if (uid !== undefined && stat.uid !== uid) {
    return new SocketPathError({
      path: dir,
      reason: "DirNotOwned",
      message: `the socket directory ${dir} is owned by uid ${stat.uid}, not by you (uid ${uid}); set HOOKD_SOCKET to a path in a directory you own`
    })
  }
  const mode = stat.mode & 0o777
  if ((mode & 0o077) !== 0) {
    return new SocketPathError({
      path: dir,
      reason: "DirTooOpen",
      message: `the socket directory ${dir} has mode ${mode.toString(8).padStart(4, "0")}, more open than 0700; fix it with: chmod 700 ${dir}`
    })
  }
  return undefined
}

const ioError = (path: string, what: string) => (cause: unknown) =>
  new SocketPathError({ path, reason: "Io", message: `cannot ${what} ${path}: ${(cause as Error).message}`, cause })

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException)?.code

/**
 * mkdir -p the socket's directory 0700 (an existing one must be ours and 0700), then remove a
 * stale socket file at the path. A non-socket file at the path is refused and never deleted.
 */
export const prepareSocketPath = (path: string): Effect.Effect<void, SocketPathError> =>
  Effect.gen(function* () {
    const dir = dirname(path)
    const created = yield* Effect.try({
      try: () => fs.mkdirSync(dir, { recursive: true, mode: 0o700 }),
      catch: ioError(dir, "create the socket directory")
    })
    // mkdir's mode is filtered by the umask; a directory we just made gets exactly 0700.
    if (created !== undefined) {
      yield* Effect.try({ try: () => fs.chmodSync(dir, 0o700), catch: ioError(dir, "chmod 700") })
    }
    const dirStat = yield* Effect.try({ try: () => fs.lstatSync(dir), catch: ioError(dir, "inspect") })
    const problem = socketDirProblem(dir, dirStat, currentUid())
    if (problem) return yield* Effect.fail(problem)

    const existing = yield* Effect.try({
      try: () => fs.lstatSync(path, { throwIfNoEntry: false }),
      catch: ioError(path, "inspect")
    })
    if (existing === undefined) return
    if (!existing.isSocket()) {
      return yield* Effect.fail(
        new SocketPathError({
          path,
          reason: "NotASocket",
          message: `${path} exists and is not a socket; refusing to delete it (move it away or set HOOKD_SOCKET)`
        })
      )
    }
    yield* Effect.try({
      try: () => {
        try {
          fs.unlinkSync(path)
        } catch (error) {
          if (errnoOf(error) !== "ENOENT") throw error
        }
      },
      catch: ioError(path, "remove the stale socket")
    })
  })
