// Helpers for the client's tests: the hookctl bundle's import graph, run the real binary, make git repos.
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { build, type Metafile } from "esbuild"
import { runCommand, type RunResult } from "../support/run"

export const ROOT = join(__dirname, "..", "..")
export const HOOKCTL_BIN = join(ROOT, "bin", "hookctl")

/**
 * The import graph of src/client/main.ts bundled with the options of src/tools/bundle.mjs, built in
 * memory (dist/ is left alone). The global setup already built dist/hookctl.cjs, which the tests
 * that run hookctl use; only the bundle test needs the graph.
 */
export const clientBundleGraph = async (): Promise<Metafile> => {
  const result = await build({
    entryPoints: [join(ROOT, "src", "client", "main.ts")],
    outfile: join(ROOT, "dist", "hookctl.cjs"),
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "error",
    external: ["node-sqlite3-wasm"],
    define: { "import.meta.url": "__hookctlImportMeta.url" },
    metafile: true
  })
  return result.metafile
}

export type { RunResult } from "../support/run"

/** Runs `node bin/hookctl …` and collects its output. */
export const runHookctl = (
  args: ReadonlyArray<string>,
  options: { cwd: string; env: Record<string, string>; stdin?: string }
): Promise<RunResult> => runCommand(process.execPath, [HOOKCTL_BIN, ...args], options)

export const tempDir = (prefix: string): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A minimal, predictable environment: no user git config, a temp HOME. */
export const isolatedEnv = (home: string, extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: home,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  ...extra
})

export const git = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string>): string =>
  execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()

/** `git init` plus one empty commit, so worktrees can be added. */
export const initRepo = (dir: string, env: Record<string, string>): string => {
  mkdirSync(dir, { recursive: true })
  git(dir, ["init", "-q", "-b", "main", "repo"], env)
  const repo = join(dir, "repo")
  git(repo, ["commit", "-q", "--allow-empty", "-m", "init"], env)
  return repo
}
