// Which repository a path belongs to (SPEC §1): the repo id hashes the realpath of the common git
// dir, so every worktree of a repo shares one id and one database.
import { Data, Effect } from "effect"
import { execFile } from "node:child_process"
import { realpath, stat } from "node:fs/promises"
import { basename, dirname, resolve } from "node:path"
import { repoIdFromCommonDir } from "../protocol/paths"

export class RepoNotFound extends Data.TaggedError("RepoNotFound")<{
  readonly path: string
  readonly message: string
}> {}

export interface RepoIdentity {
  readonly repoId: string
  /** realpath of `git rev-parse --git-common-dir`. */
  readonly commonDir: string
  /** The main worktree's root, or the bare repository itself. */
  readonly root: string
}

/** The main root for a common dir: the parent of a `.git` directory, else (bare) the dir itself. */
export const rootOfCommonDir = (commonDir: string): string =>
  basename(commonDir) === ".git" ? dirname(commonDir) : commonDir

// A hook's environment carries GIT_DIR and friends; they would override `-C <path>`.
const gitEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env }
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_PREFIX"]) delete env[name]
  return env
}

const gitCommonDir = (path: string): Effect.Effect<string, RepoNotFound> =>
  Effect.async<string, RepoNotFound>((resume) => {
    const child = execFile(
      "git",
      ["-C", path, "rev-parse", "--git-common-dir"],
      { env: gitEnv(), encoding: "utf8" },
      (error, stdout) => {
        if (error) resume(Effect.fail(new RepoNotFound({ path, message: `not a git repository: ${path}` })))
        else resume(Effect.succeed(stdout.trim()))
      }
    )
    return Effect.sync(() => child.kill())
  })

export const identifyRepo = (path: string): Effect.Effect<RepoIdentity, RepoNotFound> =>
  Effect.gen(function* () {
    const isDirectory = yield* Effect.tryPromise({
      try: () => stat(path).then((s) => s.isDirectory()),
      catch: () => new RepoNotFound({ path, message: `no such directory: ${path}` })
    })
    if (!isDirectory) return yield* new RepoNotFound({ path, message: `no such directory: ${path}` })
    const reported = yield* gitCommonDir(path)
    // git prints the common dir relative to the directory it ran in (or absolute).
    const commonDir = yield* Effect.tryPromise({
      try: () => realpath(resolve(path, reported)),
      catch: () => new RepoNotFound({ path, message: `not a git repository: ${path}` })
    })
    return { repoId: repoIdFromCommonDir(commonDir), commonDir, root: rootOfCommonDir(commonDir) }
  })
