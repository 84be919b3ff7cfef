// Real git repositories for black-box tests.
import { execFileSync, spawn } from "node:child_process"
import { mkdirSync, realpathSync } from "node:fs"
import { join } from "node:path"

export const git = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): string =>
  execFileSync("git", args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

/** `git init` with one commit on branch main; returns the repo's real path. */
export const makeGitRepo = (dir: string, env: Record<string, string> = {}): string => {
  mkdirSync(dir, { recursive: true })
  git(dir, ["init", "-q", "-b", "main"], env)
  git(dir, ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init"], env)
  return realpathSync(dir)
}

export const subdir = (...parts: string[]): string => join(...parts)

export interface GitResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs git without throwing and without blocking the test's event loop (hooks it fires may
 * talk to a supervisor the test is also talking to); resolves with its exit code and output.
 */
export const runGit = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string>): Promise<GitResult> =>
  new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
