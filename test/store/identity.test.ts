// identifyRepo on real repositories: a main worktree, a linked worktree, a subdirectory, a bare
// repo, and paths that are not repositories.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { mkdirSync, realpathSync } from "node:fs"
import { join } from "node:path"
import { repoIdFromCommonDir } from "../../src/protocol/paths"
import { identifyRepo } from "../../src/repos/identity"
import { tempDir, useTempDirs } from "./helpers"

useTempDirs()

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    stdio: "pipe",
    env: { ...process.env, GIT_DIR: undefined, GIT_WORK_TREE: undefined } as NodeJS.ProcessEnv
  })

const makeRepo = () => {
  const base = realpathSync(tempDir())
  const main = join(base, "main")
  mkdirSync(main)
  git(main, "init", "-q")
  git(main, "commit", "-q", "--allow-empty", "-m", "first")
  return { base, main }
}

describe("Store: identifyRepo", () => {
  it.live("a git init repo: common dir is <root>/.git, id hashes its realpath", () =>
    Effect.gen(function* () {
      const { main } = makeRepo()
      const identity = yield* identifyRepo(main)
      expect(identity).toEqual({
        repoId: repoIdFromCommonDir(join(main, ".git")),
        commonDir: join(main, ".git"),
        root: main
      })
      expect(identity.repoId).toMatch(/^[0-9a-f]{16}$/)
    }))

  it.live("a linked worktree and a subdirectory share the main repo's id and root", () =>
    Effect.gen(function* () {
      const { base, main } = makeRepo()
      const linked = join(base, "linked")
      git(main, "worktree", "add", "-q", "-b", "feature", linked)
      const sub = join(main, "a", "b")
      mkdirSync(sub, { recursive: true })
      const fromMain = yield* identifyRepo(main)
      expect(yield* identifyRepo(linked)).toEqual(fromMain)
      expect(yield* identifyRepo(sub)).toEqual(fromMain)
    }))

  it.live("a bare repository is its own root", () =>
    Effect.gen(function* () {
      const bare = join(realpathSync(tempDir()), "repo.git")
      execFileSync("git", ["init", "-q", "--bare", bare])
      expect(yield* identifyRepo(bare)).toMatchObject({ commonDir: bare, root: bare })
    }))

  it.live("a directory outside any repository is RepoNotFound", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const error = yield* Effect.flip(identifyRepo(dir))
      expect(error._tag).toBe("RepoNotFound")
      expect(error.message).toBe(`not a git repository: ${dir}`)
      expect(error.path).toBe(dir)
    }))

  it.live("a missing path is RepoNotFound with 'no such directory'", () =>
    Effect.gen(function* () {
      const missing = join(tempDir(), "gone")
      const error = yield* Effect.flip(identifyRepo(missing))
      expect(error.message).toBe(`no such directory: ${missing}`)
    }))
})
