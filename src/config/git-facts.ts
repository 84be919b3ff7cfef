// The git state conditions and templates ask about, each queried at most once per load and only
// when something needs it.
import { access } from "node:fs/promises"
import { isAbsolute, join, resolve } from "node:path"
import { Effect } from "effect"
import { captureOutput, type ProcessEnv } from "./processes"

const GIT_TIMEOUT_MS = 30_000

export interface GitFacts {
  /** A merge is in progress: MERGE_HEAD exists in the worktree's git dir. */
  readonly mergeInProgress: Effect.Effect<boolean>
  /** A rebase is in progress: rebase-merge/ or rebase-apply/ exists in the worktree's git dir. */
  readonly rebaseInProgress: Effect.Effect<boolean>
  /** The current branch (`git symbolic-ref --short HEAD`); undefined on a detached HEAD. */
  readonly branch: Effect.Effect<string | undefined>
  /** Staged added/copied/modified/renamed paths, relative to the worktree root; a string on failure. */
  readonly stagedFiles: Effect.Effect<ReadonlyArray<string> | { readonly failure: string }>
}

const exists = (path: string): Effect.Effect<boolean> =>
  Effect.promise(() =>
    access(path).then(
      () => true,
      () => false
    )
  )

export const makeGitFacts = (worktree: string, env: ProcessEnv): Effect.Effect<GitFacts> =>
  Effect.gen(function* () {
    const git = (...args: string[]) => captureOutput("git", args, { cwd: worktree, env, timeoutMs: GIT_TIMEOUT_MS })

    const gitDir = yield* Effect.cached(
      git("rev-parse", "--git-dir").pipe(
        Effect.map((out) => {
          const dir = out.stdout.trim()
          if (out.exitCode !== 0 || dir === "") return undefined
          return isAbsolute(dir) ? dir : resolve(worktree, dir)
        })
      )
    )
    const inGitDir = (...names: string[]) =>
      Effect.flatMap(gitDir, (dir) =>
        dir === undefined ? Effect.succeed(false) : Effect.map(Effect.forEach(names, (n) => exists(join(dir, n))), (found) => found.some(Boolean))
      )

    const mergeInProgress = yield* Effect.cached(inGitDir("MERGE_HEAD"))
    const rebaseInProgress = yield* Effect.cached(inGitDir("rebase-merge", "rebase-apply"))
    const branch = yield* Effect.cached(
      git("symbolic-ref", "--quiet", "--short", "HEAD").pipe(
        Effect.map((out) => (out.exitCode === 0 && out.stdout.trim() !== "" ? out.stdout.trim() : undefined))
      )
    )
    const stagedFiles = yield* Effect.cached(
      git("diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z").pipe(
        Effect.map((out) =>
          out.exitCode === 0
            ? out.stdout.split("\0").filter((name) => name !== "")
            : { failure: `git diff --cached failed${out.exitCode === undefined ? "" : ` (exit ${out.exitCode})`}: ${out.stderr.trim()}` }
        )
      )
    )
    return { mergeInProgress, rebaseInProgress, branch, stagedFiles }
  })
