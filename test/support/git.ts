// Real git repositories for black-box tests.
import { execFileSync } from "node:child_process"
import { mkdirSync, realpathSync } from "node:fs"
import { runCommand, type RunResult } from "./run"

export const git = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): string =>
  execFileSync("git", args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

/** `git init` with one commit on branch main; returns the repo's real path. */
export const makeGitRepo = (dir: string, env: Record<string, string> = {}): string => {
  mkdirSync(dir, { recursive: true })
  git(dir, ["init", "-q", "-b", "main"], env)
  git(dir, ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init"], env)
  return realpathSync(dir)
}

export type GitResult = RunResult

/**
 * Runs git without throwing and without blocking the test's event loop (hooks it fires may
 * talk to a supervisor the test is also talking to); resolves with its exit code and output.
 */
export const runGit = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string>): Promise<GitResult> =>
  runCommand("git", args, { cwd, env })
