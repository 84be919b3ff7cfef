// Runs a command to completion without blocking the test's event loop, collecting its output.
import { spawn } from "node:child_process"

export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const runCommand = (
  command: string,
  args: ReadonlyArray<string>,
  options: {
    readonly cwd: string
    readonly env: Record<string, string>
    readonly stdin?: string
    /** Run as another user (the test runs as root). */
    readonly as?: { readonly uid: number; readonly gid: number }
  }
): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"], ...options.as })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.on("error", () => undefined) // a command that never reads stdin may close it first
    child.stdin.end(options.stdin ?? "")
  })
