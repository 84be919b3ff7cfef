// The supervisor's settings, read once from argv and the environment at start. Effect-free: the
// loader's first stage (supervisor/first-stage.ts) reads them before the supervisor's bundle loads.
import { availableParallelism } from "node:os"
import { socketPath, stateDir } from "../protocol/paths"
import { parseDuration } from "../config/units"

export interface SupervisorSettings {
  readonly version: string
  readonly stateDir: string
  readonly socketPath: string
  /** Running background jobs at most (HOOKD_MAX_PARALLEL). */
  readonly maxParallel: number
  /** Running foreground (waited) jobs at most (HOOKD_MAX_FOREGROUND): their own pool, never behind background ones. */
  readonly maxForeground: number
  readonly killGraceMs: number
  /** `--idle-exit`: exit after this long with no connection and no job (undefined = never). */
  readonly idleExitMs: number | undefined
  /** Under systemd's journal, log lines go to stderr without our own timestamps. */
  readonly journal: boolean
  readonly startedAt: number
}

export class UsageError extends Error {}

const positiveInt = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined || text === "") return fallback
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a non-negative integer, got "${text}"`)
  return n
}

export const HOOKD_USAGE = `usage: hookd [--idle-exit <duration>] [--version] [--help]

Runs the hookd supervisor in the foreground (one per user; a second one exits 0).
  --idle-exit <duration>  exit after this long with no connection and no job (e.g. 30m)
Environment: HOOKD_STATE_DIR, HOOKD_SOCKET, HOOKD_MAX_PARALLEL, HOOKD_MAX_FOREGROUND, HOOKD_KILL_GRACE_MS, HOOKD_CGROUP_ROOT`

/** Parses argv (after the script name) and the environment; throws UsageError on bad input. */
export const readSettings = (
  argv: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  version: string
): SupervisorSettings => {
  let idleExitMs: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const [flag, inline] = arg.startsWith("--idle-exit=") ? ["--idle-exit", arg.slice(12)] : [arg, undefined]
    if (flag === "--idle-exit") {
      const text = inline ?? argv[++i]
      const ms = text === undefined ? undefined : parseDuration(text)
      if (ms === undefined || ms <= 0) throw new UsageError(`--idle-exit needs a duration like 30s or 30m, got "${text ?? ""}"`)
      idleExitMs = ms
    } else {
      throw new UsageError(`unknown argument "${arg}"`)
    }
  }
  return {
    version,
    stateDir: stateDir(env),
    socketPath: socketPath(env),
    maxParallel: Math.max(1, positiveInt("HOOKD_MAX_PARALLEL", env.HOOKD_MAX_PARALLEL, availableParallelism())),
    maxForeground: Math.max(1, positiveInt("HOOKD_MAX_FOREGROUND", env.HOOKD_MAX_FOREGROUND, availableParallelism())),
    killGraceMs: positiveInt("HOOKD_KILL_GRACE_MS", env.HOOKD_KILL_GRACE_MS, 5000),
    idleExitMs,
    journal: Boolean(env.JOURNAL_STREAM),
    startedAt: Date.now()
  }
}
