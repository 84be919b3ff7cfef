// The spool file a fire-and-forget shim writes (src/client/shims.ts renders the writer), read back
// by the supervisor. Pure: bytes in, a request or the reason it is refused out (table tests).
//
// Layout, every field ended by a NUL byte (so any byte but NUL survives in args and env values):
//   hookd-spool v1 \0  <worktree> \0  <hook> \0  <argc> \0  <arg>\0 × argc  <NAME=value>\0 …  (`env -0`)
// The request's time is the file's mtime (set by the kernel as the shim writes it; no `date` fork).
//
// A wait shim's request (a hook git waits for, served through fifos: src/spool/wait-session.ts) has
// two more fields after its own header:
//   hookd-wait v1 \0  <request dir> \0  <flags> \0  <worktree> \0 …as above
// flags: `o` stdout is a terminal, `e` stderr is, `m` both are one file (`[ /dev/stdout -ef
// /dev/stderr ]`: git sends a commit hook's stdout to its stderr) and both go to the `out` fifo, in order, `i` git's stdin is saved in <request dir>/stdin.

export const SPOOL_MAGIC = "hookd-spool v1"
export const WAIT_MAGIC = "hookd-wait v1"
/** A request is an environment and a few args: far below this. Bigger files are refused unread. */
export const MAX_SPOOL_FILE_BYTES = 1024 * 1024
/** git passes at most 3 args to the hooks a spool shim serves; leave room, refuse nonsense. */
const MAX_ARGS = 64
const HOOK_NAME = /^[a-z][a-z0-9-]*$/
const ENV_NAME = /^[^=\0]+$/

export interface WaitFlags {
  readonly stdoutIsTTY: boolean
  readonly stderrIsTTY: boolean
  readonly merged: boolean
  readonly stdin: boolean
}

export interface SpoolRequest {
  /** A wait shim's: where its fifos are, and how its stdout and stderr are. */
  readonly wait?: { readonly dir: string; readonly flags: WaitFlags }
  readonly worktree: string
  readonly hook: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
}

export type Parsed = { readonly ok: true; readonly request: SpoolRequest } | { readonly ok: false; readonly reason: string }

const refuse = (reason: string): Parsed => ({ ok: false, reason })

/** Decodes one spool file's bytes (UTF-8, as node decodes process.env and argv). */
export const parseSpoolFile = (bytes: Uint8Array): Parsed => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
  if (!text.endsWith("\0")) return refuse("truncated (does not end with a NUL byte)")
  const all = text.slice(0, -1).split("\0")
  let wait: SpoolRequest["wait"]
  if (all[0] === WAIT_MAGIC) {
    const [, dir, flags] = all
    if (dir === undefined || !dir.startsWith("/")) return refuse("the request directory is not an absolute path")
    if (flags === undefined || !/^[oemi]*$/.test(flags)) return refuse("the flags are missing or malformed")
    wait = { dir, flags: { stdoutIsTTY: flags.includes("o"), stderrIsTTY: flags.includes("e"), merged: flags.includes("m"), stdin: flags.includes("i") } }
  }
  // A wait request's fields after its own two read as a spool request's.
  const fields = wait === undefined ? all : [SPOOL_MAGIC, ...all.slice(3)]
  const [magic, worktree, hook, argcText] = fields
  if (magic !== SPOOL_MAGIC) return refuse(`not a hookd spool file (expected the header "${SPOOL_MAGIC}" or "${WAIT_MAGIC}")`)
  if (worktree === undefined || !worktree.startsWith("/")) return refuse("the worktree is not an absolute path")
  if (hook === undefined || !HOOK_NAME.test(hook)) return refuse("the hook name is missing or malformed")
  if (argcText === undefined || !/^(0|[1-9][0-9]?)$/.test(argcText) || Number(argcText) > MAX_ARGS) {
    return refuse("the argument count is missing or malformed")
  }
  const argc = Number(argcText)
  if (fields.length < 4 + argc) return refuse(`${argc} arguments announced, ${fields.length - 4} present`)
  const args = fields.slice(4, 4 + argc)
  const env: Record<string, string> = {}
  for (const entry of fields.slice(4 + argc)) {
    const eq = entry.indexOf("=")
    const name = entry.slice(0, eq)
    if (eq <= 0 || !ENV_NAME.test(name)) return refuse("an environment entry is not NAME=value")
    // The first value wins, as getenv(3) reads a duplicated name.
    if (!Object.hasOwn(env, name)) env[name] = entry.slice(eq + 1)
  }
  return { ok: true, request: { ...(wait !== undefined && { wait }), worktree, hook, args, env } }
}

/** What the supervisor knows of a spool entry before it reads it (from lstat). */
export interface SpoolEntry {
  readonly isFile: boolean
  readonly isSymbolicLink: boolean
  readonly uid: number
  readonly size: number
}

/** Why an entry must not be read, or undefined when it may be (pure). */
export const refusalOf = (entry: SpoolEntry, ownUid: number, maxBytes: number = MAX_SPOOL_FILE_BYTES): string | undefined => {
  if (entry.isSymbolicLink) return "a symbolic link, not a regular file"
  if (!entry.isFile) return "not a regular file"
  if (entry.uid !== ownUid) return `owned by uid ${entry.uid}, not by this user (uid ${ownUid})`
  if (entry.size > maxBytes) return `${entry.size} bytes, more than the ${maxBytes}-byte limit`
  return undefined
}

/** A request older than this when the supervisor reads it is recorded skipped instead of run. */
export const DEFAULT_STALE_AFTER_MS = 60 * 60 * 1000
