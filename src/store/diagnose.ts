// Turning a store failure at open time into what the user must do about it (issue 14 item 9): an
// errno or SQLite message becomes DatabaseDamaged or StatePathUnusable naming the real culprit —
// which may be a parent directory, not the path the failing call was given — and the exact fix.
import { accessSync, constants, existsSync, statfsSync, statSync } from "node:fs"
import { userInfo } from "node:os"
import { dirname, parse } from "node:path"
import { chmodFix, DatabaseDamaged, moveAsideFix, shellQuote, StatePathUnusable, StoreError } from "./errors"

/** SQLite's words for a write the file system refused (node-sqlite3-wasm reports ENOSPC as an I/O error). */
const WRITE_REFUSED = /disk I\/O error|database or disk is full/i

/** Below this much free space, a refused write is taken for a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024

/**
 * When a store write failed because the disk holding `path` is (nearly) full: what to do. The
 * store recovers by itself once there is space (statements are prepared afresh after a failure).
 */
export const diskFullFix = (path: string, cause: unknown): string | undefined => {
  if (!(cause instanceof Error) || !WRITE_REFUSED.test(cause.message)) return undefined
  try {
    const fs = statfsSync(dirname(path))
    if (fs.bavail * fs.bsize >= NEARLY_FULL_BYTES) return undefined
    return `the file system holding ${dirname(path)} is full (no space left on device): free some space ` +
      `and run it again — hookd recovers by itself, no restart needed`
  } catch {
    return undefined
  }
}

/**
 * Whether a repository's database may be at `dbPath`: false only when it (or a parent) does not
 * exist. A directory hookd may not enter, or a file where a directory belongs, counts as "maybe", so
 * that opening it explains the problem instead of the repository looking as if it had no history.
 */
export const databaseMayExist = (dbPath: string): boolean => {
  try {
    statSync(dbPath)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ENOENT"
  }
}

/** SQLite's words for a file it cannot read as a database. */
const DAMAGED = /database disk image is malformed|file is not a database|file is encrypted or is not a database/i

/**
 * When a statement on an already open database failed because its file is damaged — truncated or
 * garbled under the running supervisor (issue 14 item 9) — what to do: move the file aside. Its
 * `-wal` is this supervisor's own: closing the damaged store (on the next request) folds it in and
 * removes it, so the fix names the database file alone.
 */
export const damagedFix = (dbPath: string, cause: unknown): string | undefined => {
  if (!(cause instanceof Error) || !DAMAGED.test(cause.message)) return undefined
  return `the database is damaged; hookd cannot use it, other repositories are not affected. Move it aside and ` +
    `hookd starts this repository's job history afresh (no restart needed): ${moveAsideFix(dbPath, false)}`
}

/** The path and its ancestors, root first. */
const lineage = (path: string): string[] => {
  const chain: string[] = []
  for (let p = path; ; p = dirname(p)) {
    chain.unshift(p)
    if (p === parse(p).root) return chain
  }
}

const statOrUndefined = (path: string) => {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0")

/** The first existing component of `path` that this process may not use as it must. */
const deniedComponent = (path: string): string | undefined => {
  for (const p of lineage(path)) {
    const st = statOrUndefined(p)
    if (st === undefined) return undefined
    try {
      accessSync(p, st.isDirectory() ? constants.R_OK | constants.W_OK | constants.X_OK : constants.R_OK | constants.W_OK)
    } catch {
      // Directories above the user's own (/, /home) need not be writable: only search permission.
      if (st.isDirectory() && st.uid !== process.getuid?.()) {
        try {
          accessSync(p, constants.X_OK)
          continue
        } catch {
          return p
        }
      }
      return p
    }
  }
  return undefined
}

const permissionProblem = (path: string): StatePathUnusable => {
  const st = statSync(path)
  const kind = st.isDirectory() ? "directory" : "file"
  const mine = st.uid === process.getuid?.()
  const chmod = chmodFix(path, kind)
  return new StatePathUnusable({
    path,
    reason: `permission denied (${kind} ${mine ? "of yours" : `owned by uid ${st.uid}`}, mode ${octal(st.mode)})`,
    fix: mine ? chmod : `sudo chown ${shellQuote(userInfo().username)} ${shellQuote(path)} && ${chmod}`
  })
}

/** The first existing ancestor of `path` that is not a directory. */
const fileInTheWay = (path: string): string | undefined =>
  lineage(dirname(path)).find((p) => {
    const st = statOrUndefined(p)
    return st !== undefined && !st.isDirectory()
  })

const moveOutOfTheWay = (path: string) => `mv ${shellQuote(path)} ${shellQuote(`${path}.aside`)}`

/** A file where hookd keeps a directory, or a directory where it keeps a file: the mv that clears it. */
export const wrongKind = (path: string, expected: "file" | "directory"): StatePathUnusable =>
  new StatePathUnusable({
    path,
    reason: expected === "directory" ? "it is a file where hookd keeps a directory" : "it is a directory where hookd keeps its database file",
    fix: moveOutOfTheWay(path)
  })

/**
 * What a StoreError raised while opening `dbPath` really means. Errors it cannot explain better
 * (and every other error) are returned unchanged.
 */
export const diagnoseOpenFailure = (dbPath: string) => <E>(error: E): E | DatabaseDamaged | StatePathUnusable => {
  if (!(error instanceof StoreError)) return error
  const cause = error.cause as NodeJS.ErrnoException | undefined
  const code = cause?.code
  if (code === "EACCES" || code === "EPERM") {
    const culprit = deniedComponent(error.path) ?? deniedComponent(dbPath)
    if (culprit !== undefined) return permissionProblem(culprit)
  }
  if (code === "ENOTDIR") {
    const culprit = fileInTheWay(error.path) ?? fileInTheWay(dbPath)
    if (culprit !== undefined) return wrongKind(culprit, "directory")
  }
  if (code === "EISDIR" || (statOrUndefined(dbPath)?.isDirectory() ?? false)) {
    return wrongKind(dbPath, "file")
  }
  const message = cause instanceof Error ? cause.message : String(cause)
  if (DAMAGED.test(message)) {
    return new DatabaseDamaged({ path: dbPath, reason: message, fix: moveAsideFix(dbPath, existsSync(`${dbPath}-wal`)) })
  }
  return error
}
