// Is the socket we are about to connect to really ours? (SPEC §1, issue 14 item 1)
// Another local user who owns the socket's directory can listen there and collect everything a
// client sends (run-hook sends the whole environment). Like tmux, a client checks the directory
// and the socket with lstat (never following a symlink) before it sends a single byte.
// Effect-free: hookctl uses it, and hookctl never loads `effect`.
import { lstatSync, readFileSync, type Stats } from "node:fs"
import { dirname } from "node:path"

type Inspected = Pick<Stats, "uid" | "mode" | "isDirectory" | "isSocket" | "isSymbolicLink">

/** The errno-like code of a connect refused by this check (see protocol/client.ts openSocket). */
export const UNSAFE_SOCKET = "EUNSAFE"

export interface UnsafeSocket {
  readonly path: string
  readonly reason: "DirNotADirectory" | "DirNotOwned" | "DirTooOpen" | "NotASocket" | "SocketNotOwned"
  readonly message: string
}

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, "0")

/** `uid 1001 (alice)` when the name is known, else `uid 1001`. */
export const describeUid = (uid: number, names: (uid: number) => string | undefined = userName): string => {
  const name = names(uid)
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`
}

/** The login name of a uid from /etc/passwd; undefined when unknown (NSS users, no file). */
export const userName = (uid: number): string | undefined => {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":")
      if (fields.length > 2 && Number(fields[2]) === uid && fields[2] !== "") return fields[0]
    }
  } catch {
    // no passwd file: the number alone still says who
  }
  return undefined
}

const IMPERSONATION_FIX =
  "another user may be impersonating hookd to collect what hookctl sends. Nothing was sent. " +
  "To fix: remove it (as its owner or root) or point XDG_RUNTIME_DIR or HOOKD_SOCKET at a directory only you can use"

/**
 * The pure decision: given what lstat saw (undefined = does not exist), the reason to refuse, or
 * undefined when it is safe to connect (or there is nothing to connect to).
 */
export const judgeSocket = (
  path: string,
  dirStat: Inspected | undefined,
  socketStat: Inspected | undefined,
  uid: number,
  names: (uid: number) => string | undefined = userName
): UnsafeSocket | undefined => {
  const dir = dirname(path)
  // Only a refusal names users: /etc/passwd is read then, not on every connect (issue 13).
  const you = () => describeUid(uid, names)
  if (dirStat === undefined) return undefined
  if (dirStat.isSymbolicLink() || !dirStat.isDirectory()) {
    return {
      path,
      reason: "DirNotADirectory",
      message: `unsafe socket directory ${dir}: it is a ${dirStat.isSymbolicLink() ? "symbolic link" : "file, not a directory"} (owned by ${describeUid(dirStat.uid, names)}); ${IMPERSONATION_FIX}`
    }
  }
  if (dirStat.uid !== uid) {
    return {
      path,
      reason: "DirNotOwned",
      message: `unsafe socket directory ${dir}: it is owned by ${describeUid(dirStat.uid, names)}, not by you (${you()}); ${IMPERSONATION_FIX}`
    }
  }
  if ((dirStat.mode & 0o077) !== 0) {
    return {
      path,
      reason: "DirTooOpen",
      message: `unsafe permissions on the socket directory ${dir}: mode ${octal(dirStat.mode)} lets other users in; nothing was sent. To fix: chmod 700 ${dir}`
    }
  }
  if (socketStat === undefined) return undefined
  if (!socketStat.isSocket()) {
    return {
      path,
      reason: "NotASocket",
      message: `${path} is not a socket (owned by ${describeUid(socketStat.uid, names)}); nothing was sent. To fix: move it away (hookd makes the socket when it starts)`
    }
  }
  if (socketStat.uid !== uid) {
    return {
      path,
      reason: "SocketNotOwned",
      message: `unsafe socket ${path}: it is owned by ${describeUid(socketStat.uid, names)}, not by you (${you()}); ${IMPERSONATION_FIX}`
    }
  }
  return undefined
}

/** lstat that treats "cannot look" (e.g. EACCES inside someone else's directory) like "absent": the
 * directory's own verdict comes first and refuses in that case. */
const lstatOrUndefined = (path: string): Stats | undefined => {
  try {
    return lstatSync(path, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

const currentUid = (): number | undefined => (typeof process.getuid === "function" ? process.getuid() : undefined)

/** Checks `path` before a client connects to it; undefined means go ahead. */
export const unsafeSocket = (path: string, uid: number | undefined = currentUid()): UnsafeSocket | undefined => {
  if (uid === undefined) return undefined // no uids on this platform (Windows): nothing to compare
  return judgeSocket(path, lstatOrUndefined(dirname(path)), lstatOrUndefined(path), uid)
}
