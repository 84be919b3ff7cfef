// The few git questions hookctl asks, answered by running git (execFileSync: no shell).
import { execFileSync } from "node:child_process"
import { resolve } from "node:path"

const git = (cwd: string, args: ReadonlyArray<string>): string =>
  execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()

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
