// A real supervisor process in a temp state dir, and the framed client the tests talk to it with.
// Black-box tests use these: no part of the supervisor is imported or mocked.
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const REPO_ROOT = join(__dirname, "..", "..")
export const HOOKD_BUNDLE = join(REPO_ROOT, "dist", "hookd.mjs")
export const HOOKCTL_BIN = join(REPO_ROOT, "bin", "hookctl")

export interface Sandbox {
  readonly dir: string
  readonly stateDir: string
  readonly socket: string
  /** Environment for the supervisor and hookctl: temp HOME/XDG dirs, this sandbox's socket. */
  readonly env: Record<string, string>
  cleanup(): void
}

export const makeSandbox = (extraEnv: Record<string, string> = {}): Sandbox => {
  const dir = mkdtempSync(join(tmpdir(), "hookd-e2e-"))
  const stateDir = join(dir, "state")
  const socket = join(dir, "run", "hookd.sock")
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(dir, "home"),
    XDG_STATE_HOME: join(dir, "xdg-state"),
    XDG_CONFIG_HOME: join(dir, "xdg-config"),
    HOOKD_STATE_DIR: stateDir,
    HOOKD_SOCKET: socket,
    HOOKD_KILL_GRACE_MS: "1000",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
    ...extraEnv
  }
  return { dir, stateDir, socket, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface RunningSupervisor {
  readonly proc: ChildProcess
  readonly pid: number
  /** Everything the supervisor wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>
  stop(signal?: NodeJS.Signals): Promise<number | string>
  /** SIGTERM, then fail (with everything it printed) unless it exits 0: a crash mid-file surfaces here. */
  stopCleanly(): Promise<void>
}

/**
 * Starts `node dist/hookd.mjs` (as another user with `as`; another copy of the bundles with `bundle`)
 * and resolves once it logged "started".
 */
export const startSupervisor = async (
  sandbox: Sandbox,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {},
  as: { readonly uid: number; readonly gid: number } | undefined = undefined,
  bundle: string = HOOKD_BUNDLE,
  /** A cgroup v2 directory the supervisor's process enters before node starts (as systemd puts a service in its cgroup). */
  cgroup: string | undefined = undefined
): Promise<RunningSupervisor> => {
  const command: [string, string[]] = cgroup === undefined
    ? [process.execPath, [bundle, ...args]]
    : ["/bin/sh", ["-c", 'echo $$ > "$0" && exec "$@"', join(cgroup, "cgroup.procs"), process.execPath, bundle, ...args]]
  const proc = spawn(command[0], command[1], {
    env: { ...sandbox.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(as !== undefined ? { uid: as.uid, gid: as.gid } : {})
  })
  let output = ""
  proc.stdout!.on("data", (d) => (output += d))
  proc.stderr!.on("data", (d) => (output += d))
  const exited = new Promise<number | string>((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal ?? -1)))
  // Wait for the "started" log line rather than polling the socket with sleeps.
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes('"event":"started"')) {
        proc.stderr!.off("data", onData)
        resolve()
      }
    }
    proc.stderr!.on("data", onData)
    exited.then((code) => reject(new Error(`hookd exited (${code}) before it started:\n${output}`)))
  })
  return {
    proc,
    pid: proc.pid!,
    output: () => output,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
    stopCleanly: async () => {
      const wasRunning = proc.exitCode === null && proc.signalCode === null
      if (wasRunning) proc.kill("SIGTERM")
      const code = await exited
      if (!wasRunning || code !== 0) throw new Error(`hookd ${wasRunning ? `exited ${code} on SIGTERM` : `had already exited (${code})`}:\n${output}`)
    }
  }
}

/** Resolves once the supervisor has written `text` to its output (its log lines go to stderr). */
export const outputContains = (hookd: RunningSupervisor, text: string): Promise<void> =>
  new Promise((resolve) => {
    const check = () => {
      if (!hookd.output().includes(text)) return
      hookd.proc.stderr!.off("data", check)
      resolve()
    }
    hookd.proc.stderr!.on("data", check)
    check()
  })

/** The black-box tests talk to hookd through the protocol's own client (src/protocol/client.ts). */
export { FramedClient as TestClient } from "../../src/protocol/client"
