// Connect to the supervisor, starting it first when nobody listens (SPEC §10).
// Concurrent starters are fine: the supervisor's singleton lock lets one win and the rest exit 0.
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs"
import { nodeChildProcess } from "../protocol/builtins"
import { socketPath, stateDir, supervisorLogPath } from "../protocol/paths"
import { ConnectError, openSocket } from "../protocol/client"
import { Connection } from "./connection"
import { asUnsafeSocket, UnreachableError } from "./errors"
import { hookdBundlePath, installRoot } from "./install-paths"
import { parseDuration } from "../config/units"
import { commandGreeting } from "./version-notice"

type Env = Readonly<Record<string, string | undefined>>

// A bundled hookd answers a Hello ~10 ms after node boots and anything else ~0.1 s later; the
// margin is for a machine loaded enough to slow its start tenfold (seen at load average 60), where
// giving up would fail a hook that would have run.
const AUTOSTART_DEADLINE_MS = 10_000
/** The first connect attempt after spawning hookd; each later one waits 1.5× longer (at most 250 ms). */
const FIRST_RETRY_MS = 5
/** Absent socket file or a stale one nobody accepts on: both mean "no supervisor". */
const NOBODY_LISTENS = new Set(["ENOENT", "ECONNREFUSED"])

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const howToStart = (): string =>
  `start it with \`hookd\` (or \`npm start\` in ${installRoot()}), or install the user service with \`hookctl service install\``

/** An autostarted hookd is nobody's service: it leaves after this long without work (SPEC §7). */
export const DEFAULT_IDLE_EXIT = "30m"

/**
 * `--idle-exit` for an autostarted supervisor, from HOOKD_IDLE_EXIT (default 30m; `0` = never).
 * A value hookd would refuse is refused here, with the variable's name, instead of as a dead start.
 */
export const idleExitArgs = (env: Env): string[] => {
  const text = (env.HOOKD_IDLE_EXIT ?? "").trim() || DEFAULT_IDLE_EXIT
  const ms = parseDuration(text)
  if (ms === undefined) {
    throw new UnreachableError(`cannot start hookd: HOOKD_IDLE_EXIT must be a duration like 30m, 2h or 0 (never), got "${text}"`)
  }
  return ms === 0 ? [] : ["--idle-exit", text]
}

/**
 * Spawns `node dist/hookd.mjs` in its own session, output appended to the supervisor log.
 * Returns a promise of its exit code (it never settles while the supervisor runs).
 */
export const spawnSupervisor = (env: Env = process.env): Promise<number | null> => {
  const bundle = hookdBundlePath()
  if (!existsSync(bundle)) throw new UnreachableError(`cannot start hookd: ${bundle} is missing (run \`npm run build\`)`)
  const idleExit = idleExitArgs(env)
  const state = stateDir(env)
  mkdirSync(state, { recursive: true, mode: 0o700 })
  const log = openSync(supervisorLogPath(state), "a", 0o600)
  try {
    // Loaded here, not at the top: only an autostart spawns, and child_process costs every command's startup.
    const child = nodeChildProcess().spawn(process.execPath, [bundle, ...idleExit], {
      detached: true,
      stdio: ["ignore", log, log],
      env: env as NodeJS.ProcessEnv,
      cwd: state
    })
    const exited = new Promise<number | null>((resolve) => {
      child.on("error", () => resolve(null)) // reported as "unreachable" by the connect loop
      child.on("exit", (code) => resolve(code))
    })
    child.unref()
    return exited
  } finally {
    closeSync(log)
  }
}

/**
 * Opens a connection, autostarting hookd once if allowed; throws UnreachableError (exit 3). Its first
 * request carries a Hello (the version handshake) unless `greet` is false (a command's extra connections).
 */
export const connectToSupervisor = async (env: Env = process.env, greet = true): Promise<Connection> => {
  const path = socketPath(env)
  const attempt = async () => new Connection(await openSocket(path), path, greet ? commandGreeting() : undefined)
  try {
    return await attempt()
  } catch (e) {
    if (!(e instanceof ConnectError) || !NOBODY_LISTENS.has(e.errno)) throw unreachable(path, e)
    if (env.HOOKD_NO_AUTOSTART === "1") throw unreachable(path, e, "autostart disabled by HOOKD_NO_AUTOSTART=1")
  }
  // Exit 0 means another starter won the singleton race: keep trying to connect to that one.
  let failedExit: number | undefined
  void spawnSupervisor(env).then((code) => {
    if (code !== 0) failedExit = code ?? -1
  })
  const deadline = Date.now() + AUTOSTART_DEADLINE_MS
  // hookd's first stage binds the socket ~10 ms after node's boot (supervisor/first-stage.ts) and
  // answers the Hello then loads the rest at once: tries 5, 12, 23, 40, 65 ms… in (was 20, 60, 140).
  let delay = FIRST_RETRY_MS
  let last: unknown
  while (Date.now() < deadline && failedExit === undefined) {
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())))
    delay = Math.min(delay * 1.5, 250)
    try {
      return await attempt()
    } catch (e) {
      last = e
      if (!(e instanceof ConnectError) || !NOBODY_LISTENS.has(e.errno)) throw unreachable(path, e)
    }
  }
  const log = supervisorLogPath(stateDir(env))
  if (failedExit !== undefined) {
    const why = lastComplaint(log)
    throw unreachable(path, last, `hookd exited with status ${failedExit}${why ? `: ${why}` : ""}; see ${log}`)
  }
  throw unreachable(path, last, `started hookd but it did not answer within ${AUTOSTART_DEADLINE_MS / 1000}s; see ${log}`)
}

/** The supervisor's last plain-text line (its human-readable reason for dying), if any. */
const lastComplaint = (log: string): string | undefined => {
  try {
    const size = statSync(log).size
    const fd = openSync(log, "r")
    try {
      const length = Math.min(size, 8192)
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, size - length)
      return buffer
        .toString("utf8")
        .split("\n")
        .reverse()
        .find((line) => line.startsWith("hookd:"))
        ?.slice("hookd:".length)
        .trim()
    } finally {
      closeSync(fd)
    }
  } catch {
    return undefined
  }
}

const unreachable = (path: string, cause: unknown, note?: string): UnreachableError => {
  // Its message already names the path, the owner and the fix; starting hookd would not help.
  const unsafe = asUnsafeSocket(cause)
  if (unsafe) return unsafe
  const reason = cause instanceof ConnectError ? cause.errno : cause instanceof Error ? cause.message : String(cause)
  return new UnreachableError(
    `cannot reach the hookd supervisor at ${path} (${reason}${note ? `; ${note}` : ""}).\n` +
      `To fix: ${howToStart()}.`
  )
}
