// History for the start-up and listing benchmarks, written through the real store API
// (src/store: openRepoStore + insertInvocation) into a state dir no supervisor has open: finished
// `true` jobs, as many hook runs would have left them. Much faster than running the jobs.
import { randomBytes } from "node:crypto"
import { realpathSync } from "node:fs"
import { join } from "node:path"
import { importBundled, ROOT } from "./bundle.mjs"

const { Effect, store, paths } = await importBundled("seed-store", {
  stdin: {
    contents: [
      `export * as store from "./src/store/index"`,
      `export * as paths from "./src/protocol/paths"`,
      `export * as Effect from "effect/Effect"`
    ].join("\n"),
    resolveDir: ".",
    loader: "ts"
  }
})

const finishedJob = (invocation_id, name, worktree, at) => ({
  invocation_id, name, hook: "post-checkout", worktree, command: "true", cwd: null,
  env: { PATH: "/usr/bin:/bin", HOME: "/home/u" }, needs: [], tags: [], background: true,
  status: "completed", exit_code: 0, signal: null, pid: null, pgid: null, proc_start: null,
  queued_at: at, started_at: at + 1, finished_at: at + 5, timeout_ms: 300_000, retention_secs: null,
  sampling_every_nth: null, max_log_bytes: null, log_bytes: 171, skip_reason: null, error: null,
  input_key: null, input_match: null
})

/** The repo id hookd gives a git repository (sha256 of its common dir's realpath). */
export const repoIdOf = (gitRepo) => paths.repoIdFromCommonDir(realpathSync(join(gitRepo, ".git")))

/**
 * Writes `jobs` finished jobs (in invocations of `perInvocation`) for repo `repoId` rooted at `root`
 * into `stateDir`, all within the last hour (no retention rule removes them at the next start).
 */
export const seedRepo = async (stateDir, { repoId, root, jobs, perInvocation = 10 }) => {
  const migrations = await Effect.runPromise(store.loadMigrations(join(ROOT, "schema", "migrations")))
  const now = Date.now() - 3_600_000
  const program = Effect.gen(function* () {
    const s = yield* store.openRepoStore({ dbPath: paths.repoDbPath(stateDir, repoId), repoId, root, migrations })
    for (let done = 0, k = 0; done < jobs; k++) {
      const invocation_id = randomBytes(8).toString("hex")
      const at = now + k * 10
      const n = Math.min(perInvocation, jobs - done)
      yield* s.insertInvocation(
        { invocation_id, hook: "post-checkout", worktree: root, args: [], created_at: at, status: "completed", supervisor_pid: 1 },
        Array.from({ length: n }, (_, j) => finishedJob(invocation_id, `job-${j}`, root, at))
      )
      done += n
    }
  })
  await Effect.runPromise(Effect.scoped(program))
}

/** `repos` made-up repositories (roots that no longer exist, as history keeps them) of `jobs` each. */
export const seedManyRepos = async (stateDir, repos, jobs) => {
  for (let i = 0; i < repos; i++) {
    await seedRepo(stateDir, { repoId: randomBytes(8).toString("hex"), root: `/gone/repo-${i}`, jobs })
  }
}
