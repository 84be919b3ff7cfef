// The clean-stop marker (issue 13: idle RSS after start). A supervisor that stopped gracefully —
// every job ended, every row terminal, every store closed — leaves `<state>/clean-stop`; the next
// one takes it (reads and removes it) before anything else, and when it is valid skips the start-up
// pass that opens and reconciles every repository: nothing was left running, so nothing needs it,
// and an idle supervisor never loads SQLite. Anything but a valid marker — none (a crash), a
// symlink, not a regular file, another user's, garbled — means today's full start-up pass.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export const CLEAN_STOP_FILE = "clean-stop"

export interface CleanStopMarker {
  readonly stopped_at: number
  readonly pid: number
  readonly version: string
  /**
   * When retention last swept every repository (this run's sweep or one it inherited): the next
   * start sweeps at once when an hour has passed since, else an hour after it — a supervisor that
   * idles out every 30 minutes must not postpone retention for ever. Absent (a marker of 2ad820b):
   * the next start sweeps.
   */
  readonly swept_at?: number
}

export type TakenMarker =
  | { readonly _tag: "Valid"; readonly marker: CleanStopMarker }
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Invalid"; readonly reason: string }

const MAX_BYTES = 4096

const isPositiveInteger = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value > 0

const parse = (text: string): CleanStopMarker | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== "object" || value === null) return undefined
  const { stopped_at, pid, version, swept_at } = value as Record<string, unknown>
  if (!isPositiveInteger(stopped_at) || !isPositiveInteger(pid)) return undefined
  if (typeof version !== "string" || version === "") return undefined
  if (swept_at === undefined) return { stopped_at, pid, version }
  if (!isPositiveInteger(swept_at)) return undefined
  return { stopped_at, pid, version, swept_at }
}

const removeQuietly = (path: string): string | undefined => {
  try {
    unlinkSync(path)
    return undefined
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? undefined : String((e as Error).message)
  }
}

/**
 * Reads and removes the marker (a crash of this run then leaves none). Only a regular file of this
 * user's, opened without following a symlink, holding the JSON the last stop wrote, is Valid. A
 * marker that cannot be removed is not trusted either: the next start would find it again.
 */
export const takeCleanStopMarker = (stateDir: string, uid: number | undefined = process.getuid?.()): TakenMarker => {
  const path = join(stateDir, CLEAN_STOP_FILE)
  let link
  try {
    link = lstatSync(path)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? { _tag: "Absent" } : { _tag: "Invalid", reason: `cannot stat: ${(e as Error).message}` }
  }
  const verdict = ((): TakenMarker => {
    if (link.isSymbolicLink()) return { _tag: "Invalid", reason: "a symlink" }
    if (!link.isFile()) return { _tag: "Invalid", reason: "not a regular file" }
    if (uid !== undefined && link.uid !== uid) return { _tag: "Invalid", reason: `owned by uid ${link.uid}` }
    let fd: number
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    } catch (e) {
      return { _tag: "Invalid", reason: `cannot open: ${(e as Error).message}` }
    }
    try {
      const stat = fstatSync(fd)
      // Replaced between the lstat and the open: judge the file that was opened.
      if (!stat.isFile() || stat.ino !== link.ino || stat.dev !== link.dev) return { _tag: "Invalid", reason: "replaced while read" }
      if (stat.size > MAX_BYTES) return { _tag: "Invalid", reason: `too large (${stat.size} bytes)` }
      const buffer = Buffer.alloc(MAX_BYTES)
      const n = readSync(fd, buffer, 0, MAX_BYTES, 0)
      const marker = parse(buffer.subarray(0, n).toString("utf8"))
      return marker !== undefined ? { _tag: "Valid", marker } : { _tag: "Invalid", reason: "garbled" }
    } catch (e) {
      return { _tag: "Invalid", reason: `cannot read: ${(e as Error).message}` }
    } finally {
      closeSync(fd)
    }
  })()
  const notRemoved = removeQuietly(path)
  if (notRemoved !== undefined) return { _tag: "Invalid", reason: `${verdict._tag === "Invalid" ? `${verdict.reason}; ` : ""}cannot remove: ${notRemoved}` }
  return verdict
}

/** Written atomically (a 0600 temporary file renamed over the name): a reader sees all of it or none. */
export const writeCleanStopMarker = (stateDir: string, marker: CleanStopMarker): void => {
  const path = join(stateDir, CLEAN_STOP_FILE)
  const temporary = join(stateDir, `.${CLEAN_STOP_FILE}.${process.pid}.tmp`)
  removeQuietly(temporary)
  try {
    writeFileSync(temporary, JSON.stringify(marker) + "\n", { mode: 0o600, flag: "wx" })
    renameSync(temporary, path)
  } catch (e) {
    removeQuietly(temporary)
    throw e
  }
}
