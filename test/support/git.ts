// Real git repositories for black-box tests.
import { execFileSync } from "node:child_process"
import { mkdirSync, realpathSync, writeFileSync } from "node:fs"
import { join } from "node:path"
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

/**
 * A fresh repo in the sandbox with `config` as hookd.yml (committed, so linked worktrees have it
 * too) and the shims installed by `hookctl hooks install`.
 */
export const repoWithHookdConfig = async (
  dir: string,
  env: Record<string, string>,
  config: string,
  install: (repo: string) => Promise<RunResult>
): Promise<string> => {
  const repo = makeGitRepo(dir, env)
  writeFileSync(join(repo, "hookd.yml"), config)
  git(repo, ["add", "hookd.yml"], env)
  git(repo, ["commit", "-q", "--no-verify", "-m", "hookd config"], env)
  const installed = await install(repo)
  if (installed.code !== 0) throw new Error(`hooks install exited ${installed.code}: ${installed.stderr}`)
  return repo
}
