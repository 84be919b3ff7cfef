// The Linux singleton's abstract-socket name, and how a holder proves it is ours (issue 14 items 2, 4).
// Abstract names have no permissions: anyone can bind one first. So the name is not guessable — it
// carries a random id kept 0600 in the canonical (realpath) state dir, which also makes every
// spelling of one state dir (a symlink, a trailing slash) share one lock — and whoever holds it
// must prove to be the same user before we believe "already running". Node has no SO_PEERCRED;
// /proc has the same facts: the pid the holder names must run as our uid and hold the listening
// socket's inode (/proc/net/unix maps the name to inodes, /proc/<pid>/fd the inodes to a process).
import * as fs from "node:fs"
import { nodeCrypto } from "../protocol/builtins"
import { join } from "node:path"
import { publishExclusively, removeIfStill } from "./exclusive-file"

const ID_FILE = "singleton-id"
const ID_PATTERN = /^[0-9a-f]{32}$/

const currentUid = (): number => (typeof process.getuid === "function" ? process.getuid() : 0)

export class SingletonIdError extends Error {}

/** The state dir as the kernel sees it: every spelling of one directory gives one answer. */
export const canonicalStateDir = (stateDir: string): string => fs.realpathSync(stateDir)

const readId = (file: string): string | undefined => {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false })
  if (stat === undefined) return undefined
  if (!stat.isFile() || stat.uid !== currentUid() || (stat.mode & 0o077) !== 0) {
    throw new SingletonIdError(
      `${file} is not a private file of yours (it must be a regular file owned by uid ${currentUid()}, mode 0600); ` +
        `remove it and start hookd again (a new one is made)`
    )
  }
  const id = fs.readFileSync(file, "utf8").trim()
  if (!ID_PATTERN.test(id)) throw new SingletonIdError(`${file} does not hold a hookd id; remove it and start hookd again`)
  return id
}

/** The random id of this state dir, made on first use. Throws SingletonIdError for a file not ours. */
export const singletonId = (canonicalState: string): string => {
  const file = join(canonicalState, ID_FILE)
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = readId(file)
    if (id !== undefined) return id
    publishExclusively(file, `${nodeCrypto().randomBytes(16).toString("hex")}\n`)
  }
  throw new SingletonIdError(`${file} keeps disappearing; start hookd again`)
}

/** `\0hookd-<uid>-<id>`: per user and per canonical state dir, and not guessable by anyone else. */
export const singletonLockNameFor = (canonicalState: string): string =>
  `\0hookd-${currentUid()}-${singletonId(canonicalState)}`

/**
 * Replaces the id after another user squatted its name, so the next attempt uses a name nobody
 * holds. Only the id that was squatted is removed: a starter that already replaced it wins.
 */
export const rotateSingletonId = (canonicalState: string, squattedName: string): void =>
  removeIfStill(join(canonicalState, ID_FILE), `${squattedName.slice(squattedName.lastIndexOf("-") + 1)}\n`)

/** How /proc/net/unix prints an abstract name: NUL → '@'. Node pads the name with NULs to the full
 * sun_path, so trailing '@'s are not part of the name we compare. */
const printedName = (name: string): string => name.replace(/\0/g, "@").replace(/@+$/, "")

/** Inodes of the sockets bound to an abstract `name`, from the text of /proc/net/unix. */
export const inodesBoundTo = (name: string, netUnix: string): ReadonlySet<string> => {
  const wanted = printedName(name)
  const inodes = new Set<string>()
  for (const line of netUnix.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/)
    // Num RefCount Protocol Flags Type St Inode Path
    if (fields.length >= 8 && printedName(fields.slice(7).join(" ")) === wanted) inodes.add(fields[6])
  }
  return inodes
}

/** The real uid of a process from `/proc/<pid>/status`, or undefined when it cannot be read. */
export const uidOfProcess = (pid: number, procRoot = "/proc"): number | undefined => {
  try {
    const line = fs.readFileSync(`${procRoot}/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("Uid:"))
    const uid = line === undefined ? Number.NaN : Number(line.split(/\s+/)[1])
    return Number.isInteger(uid) ? uid : undefined
  } catch {
    return undefined
  }
}

const holdsSocketInode = (pid: number, inodes: ReadonlySet<string>, procRoot: string): boolean => {
  let fds: string[]
  try {
    fds = fs.readdirSync(`${procRoot}/${pid}/fd`)
  } catch {
    return false // another user's process: its fds are not ours to read
  }
  return fds.some((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`${procRoot}/${pid}/fd/${fd}`))
      return match !== null && inodes.has(match[1])
    } catch {
      return false
    }
  })
}

/**
 * True only when `pid` (what the holder answered) runs as our uid and holds a socket bound to
 * `name`. A squatter can claim any pid, but not make one of our processes hold its socket.
 */
export const holderIsSameUser = (name: string, pid: number | undefined, procRoot = "/proc"): boolean => {
  if (pid === undefined || uidOfProcess(pid, procRoot) !== currentUid()) return false
  let netUnix: string
  try {
    netUnix = fs.readFileSync(`${procRoot}/net/unix`, "utf8")
  } catch {
    return false
  }
  const inodes = inodesBoundTo(name, netUnix)
  return inodes.size > 0 && holdsSocketInode(pid, inodes, procRoot)
}
