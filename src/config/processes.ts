// The few processes config loading starts: git queries and `{run: cmd}` conditions. Each is an
// Effect that never fails (a process that cannot start reports no exit code) and kills its child
// when interrupted.
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { Effect } from "effect"

export type ProcessEnv = Readonly<Record<string, string | undefined>>

export interface CapturedOutput {
  /** undefined when the process could not be started or was killed. */
  readonly exitCode: number | undefined
  readonly stdout: string
  readonly stderr: string
}

/**
 * The request's environment over the supervisor's: the supervisor may have been started by
 * systemd with no user PATH, and a hook's GIT_DIR / GIT_INDEX_FILE must win (SPEC §3).
 */
export const processEnv = (requestEnv: Readonly<Record<string, string>>): ProcessEnv => ({ ...process.env, ...requestEnv })

/** Runs `file args…` in `cwd` and captures its output (execFile: no shell involved). */
export const captureOutput = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env: ProcessEnv; readonly timeoutMs: number }
): Effect.Effect<CapturedOutput> =>
  Effect.async<CapturedOutput>((resume) => {
    const child = execFile(
      file,
      [...args],
      { cwd: options.cwd, env: options.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : undefined
        resume(Effect.succeed({ exitCode: code, stdout, stderr: error !== null && code === undefined ? String(error.message) : stderr }))
      }
    )
    return Effect.sync(() => {
      child.kill("SIGKILL")
    })
  })

/** SIGKILL to the child's whole process group (it leads one), so nothing it started survives it. */
const killTree = (child: ChildProcess): void => {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    child.kill("SIGKILL")
  }
}

/**
 * Runs `sh -c command` in `cwd` with no stdio and resolves with its exit code. `spawn` rather
 * than execFile: a condition's output is not wanted, and a background grandchild holding a pipe
 * must not delay the answer. The shell leads its own process group, so a timeout or an
 * interruption kills what it started as well.
 */
export const shellExitCode = (
  command: string,
  options: { readonly cwd: string; readonly env: ProcessEnv; readonly timeoutMs: number }
): Effect.Effect<number | undefined> =>
  Effect.async<number | undefined>((resume) => {
    let child: ChildProcess
    try {
      child = spawn("sh", ["-c", command], { cwd: options.cwd, env: options.env, stdio: "ignore", detached: true })
    } catch {
      // spawn throws for E2BIG and NUL bytes: the command cannot run.
      resume(Effect.succeed(undefined))
      return
    }
    const timer = setTimeout(() => killTree(child), options.timeoutMs)
    child.once("error", () => {
      clearTimeout(timer)
      resume(Effect.succeed(undefined))
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed(code ?? undefined))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      killTree(child)
    })
  })
