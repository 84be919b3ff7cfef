// Where things live (SPEC §1). Client and supervisor must compute the same paths, so this is
// shared; it must not import `effect`.
import { homedir } from "node:os"
import { nodeCrypto } from "./builtins"
import { join } from "node:path"

type Env = Readonly<Record<string, string | undefined>>

/**
 * sha256 hex, with node:crypto loaded on first use: hookctl computes paths on every command but
 * needs a hash only for an over-long socket path, and loading crypto costs its startup ~4 ms.
 */
const sha256Hex = (text: string): string => nodeCrypto().createHash("sha256").update(text).digest("hex")

const uid = (): number => (typeof process.getuid === "function" ? process.getuid() : 0)

/** sun_path limit minus the terminating NUL: 107 on Linux, 103 on macOS. */
export const socketPathLimit = (platform: NodeJS.Platform = process.platform): number =>
  platform === "linux" ? 107 : 103

const shortFallback = (path: string, id: number): string =>
  join("/tmp", `hookd-${id}`, `${sha256Hex(path).slice(0, 12)}.sock`)

/**
 * The socket the supervisor listens on and the client connects to. Without XDG_RUNTIME_DIR it lives
 * in `<state>/run/` (a 0700 directory in the user's own state dir) rather than in a shared /tmp,
 * where another user could create the directory first; /tmp/hookd-<uid>/ is only the fallback for
 * a path too long for sun_path (the client checks its owner and mode before connecting).
 */
export const socketPath = (env: Env = process.env, platform: NodeJS.Platform = process.platform): string => {
  const preferred = env.HOOKD_SOCKET
    ? env.HOOKD_SOCKET
    : env.XDG_RUNTIME_DIR
      ? join(env.XDG_RUNTIME_DIR, "hookd", "hookd.sock")
      : join(stateDir(env), "run", "hookd.sock")
  return Buffer.byteLength(preferred) > socketPathLimit(platform) ? shortFallback(preferred, uid()) : preferred
}

/** The state root: `$HOOKD_STATE_DIR`, else `$XDG_STATE_HOME/hookd`, else `~/.local/state/hookd`. */
export const stateDir = (env: Env = process.env): string =>
  env.HOOKD_STATE_DIR
    ? env.HOOKD_STATE_DIR
    : join(env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state"), "hookd")

export const repoDir = (state: string, repoId: string): string => join(state, "repos", repoId)
export const repoDbPath = (state: string, repoId: string): string => join(repoDir(state, repoId), "coordinator.db")
export const jobLogPath = (state: string, repoId: string, invocationId: string, jobName: string): string =>
  join(repoDir(state, repoId), "logs", invocationId, jobName, "output.jsonl")
export const supervisorLogPath = (state: string): string => join(state, "hookd.log")

/** `repo-id`: first 16 hex chars of sha256 of the realpath of the repo's common git dir. */
export const repoIdFromCommonDir = (realCommonDir: string): string =>
  sha256Hex(realCommonDir).slice(0, 16)

export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * Fire-and-forget shims (src/client/shims.ts) drop hook requests here and read the supervisor's pid
 * from `hookd.pid` (a `kill -0` without node). Both inside the 0700 state dir; the shim computes
 * the same paths in sh.
 */
export const SPOOL_DIR_NAME = "spool"
export const PID_FILE_NAME = "hookd.pid"
export const spoolDirPath = (state: string): string => join(state, SPOOL_DIR_NAME)
export const supervisorPidPath = (state: string): string => join(state, PID_FILE_NAME)
/** Wait shims make their private request directory (fifos, stdin) in here: `<state>/wait/<shim pid>`. */
export const WAIT_DIR_NAME = "wait"
export const waitDirPath = (state: string): string => join(state, WAIT_DIR_NAME)
