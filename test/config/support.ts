// Temp worktrees, real git repos and a one-call loader for the config tests.
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Effect, Either } from "effect"
import { onTestFinished } from "vitest"
import { loadHookJobs, type ConfigInvalid, type HookRunContext, type LoadedHookJobs } from "../../src/config/load"

/**
 * A fresh directory, removed when the calling test finishes. The cleanup is registered on the test
 * itself, not by a hook at this module's top level: unit test files share their worker's module
 * cache, so such a hook would only be registered for the first file that imported this module.
 */
export const tempDir = (): string => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "hookd-config-")))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export const writeFiles = (root: string, files: Readonly<Record<string, string>>): void => {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true })
    writeFileSync(join(root, name), text)
  }
}

/** git with no user/system config in play, so the machine's settings cannot change a test. */
export const git = (cwd: string, ...args: string[]): string =>
  execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.invalid"
    }
  })

/** Like `git` but for commands expected to exit non-zero (a conflicting merge). */
export const gitFailing = (cwd: string, ...args: string[]): void => {
  try {
    git(cwd, ...args)
  } catch {
    return
  }
  throw new Error(`git ${args.join(" ")} succeeded but was expected to fail`)
}

/** A temp dir holding a git repo on branch `main` with one commit. */
export const gitRepo = (): string => {
  const dir = tempDir()
  git(dir, "init", "-q", "-b", "main")
  writeFiles(dir, { "README": "hello\n" })
  git(dir, "add", "README")
  git(dir, "commit", "-q", "-m", "initial")
  return dir
}

export const context = (worktree: string, overrides: Partial<HookRunContext> = {}): HookRunContext => ({
  worktree,
  repoRoot: worktree,
  hook: "pre-commit",
  args: [],
  env: {},
  mode: "auto",
  ...overrides
})

export const load = (ctx: HookRunContext): Promise<Either.Either<LoadedHookJobs, ConfigInvalid>> =>
  Effect.runPromise(Effect.either(loadHookJobs(ctx)))

export const loadOk = async (ctx: HookRunContext): Promise<LoadedHookJobs> => {
  const result = await load(ctx)
  if (Either.isLeft(result)) throw new Error(`expected a config, got ConfigInvalid: ${result.left.line} ${result.left.path}: ${result.left.message}`)
  return result.right
}

export const loadError = async (ctx: HookRunContext): Promise<ConfigInvalid> => {
  const result = await load(ctx)
  if (Either.isRight(result)) throw new Error(`expected ConfigInvalid, got ${JSON.stringify(result.right)}`)
  return result.left
}

/** The skip_reason of each job, by name (undefined = runs). */
export const reasons = (loaded: LoadedHookJobs): Record<string, string | undefined> =>
  Object.fromEntries(loaded.jobs.map((j) => [j.name, j.skip_reason]))
