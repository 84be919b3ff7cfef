// The few git questions hookctl asks, answered by running git (execFileSync: no shell).
import { existsSync } from "node:fs"
import { nodeChildProcess } from "../protocol/builtins"
import { join, resolve } from "node:path"

// child_process is loaded on the first git question, not with the module: `hookctl status` and the
// other commands that never ask one do not pay for loading it.
const git = (cwd: string, args: ReadonlyArray<string>): string =>
  nodeChildProcess().execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()

/** The worktree root containing `cwd`, or undefined outside a worktree (or without git). */
export const worktreeRoot = (cwd: string): string | undefined => {
  try {
    const top = git(cwd, ["rev-parse", "--show-toplevel"])
    return top === "" ? undefined : top
  } catch {
    return undefined
  }
}

/** The hooks directory git runs hooks from; honours core.hooksPath and linked worktrees. */
export const hooksDir = (cwd: string): string | undefined => {
  try {
    return resolve(cwd, git(cwd, ["rev-parse", "--git-path", "hooks"]))
  } catch {
    return undefined
  }
}

/**
 * The worktree a hook runs for. git starts every hook in the root of its worktree (githooks(5)), so
 * when that directory holds the `.git` entry and no GIT_DIR/GIT_WORK_TREE redirects git, it is the
 * answer `git rev-parse --show-toplevel` would give — without a git process on each hook's path
 * (issue 13: run-hook startup). Anything else asks git.
 */
export const hookWorktree = (cwd: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined => {
  if (env.GIT_DIR === undefined && env.GIT_WORK_TREE === undefined && existsSync(join(cwd, ".git"))) return cwd
  return worktreeRoot(cwd)
}
