// Runs one service-manager command (systemctl, launchctl) so that it can never hang hookctl:
// stdin closed, a hard timeout that kills the command's whole process group, output captured.
import { spawn } from "node:child_process"
import type { Env } from "./context"

export type CommandResult =
  | { readonly kind: "exited"; readonly code: number | null; readonly signal: string | null; readonly stdout: string; readonly stderr: string }
  /** The program is not on PATH (ENOENT): no such service manager here. */
  | { readonly kind: "missing" }
  | { readonly kind: "timed-out"; readonly afterMs: number }
  | { readonly kind: "spawn-failed"; readonly message: string }

export const succeeded = (r: CommandResult): boolean => r.kind === "exited" && r.code === 0

/** Keeps what a user needs to read, not megabytes of a runaway tool. */
const MAX_CAPTURE = 64 * 1024

export const runCommand = (argv: ReadonlyArray<string>, env: Env, timeoutMs: number): Promise<CommandResult> =>
  new Promise((resolve) => {
    let settled = false
    const settle = (r: CommandResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    const child = spawn(argv[0], argv.slice(1), {
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so the timeout also kills anything it started.
      detached: true
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    const capture = (into: Buffer[]) => (chunk: Buffer) => {
      if (into.reduce((n, b) => n + b.length, 0) < MAX_CAPTURE) into.push(chunk)
    }
    child.stdout.on("data", capture(out))
    child.stderr.on("data", capture(err))
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
      // Do not wait for "close": a grandchild could hold the pipes open.
      child.stdout.destroy()
      child.stderr.destroy()
      settle({ kind: "timed-out", afterMs: timeoutMs })
    }, timeoutMs)
    child.on("error", (e: NodeJS.ErrnoException) =>
      settle(e.code === "ENOENT" ? { kind: "missing" } : { kind: "spawn-failed", message: e.message })
    )
    child.on("close", (code, signal) =>
      settle({
        kind: "exited",
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8")
      })
    )
  })

/** One line saying why a command did not succeed, for messages. */
export const describeFailure = (argv: ReadonlyArray<string>, r: CommandResult): string => {
  switch (r.kind) {
    case "missing":
      return `${argv[0]} is not installed (not found on PATH)`
    case "timed-out":
      return `${argv.join(" ")} did not answer within ${r.afterMs / 1000} s and was stopped`
    case "spawn-failed":
      return `${argv.join(" ")} could not be started: ${r.message}`
    case "exited": {
      const said = (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? ""
      const how = r.code !== null ? `exit status ${r.code}` : `signal ${r.signal}`
      return `${argv.join(" ")} failed (${how})${said ? `: ${said}` : ""}`
    }
  }
}
