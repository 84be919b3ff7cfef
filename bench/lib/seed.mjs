// History for the start-up and listing benchmarks: test/support/seed-history.ts (the tests' own
// seeder, through the real store API: openRepoStore + insertInvocation), bundled for plain .mjs —
// finished jobs with a realistic ~1.5 KB hook environment each, into a state dir no supervisor has
// open. Much faster than running the jobs.
import { randomBytes } from "node:crypto"
import { realpathSync } from "node:fs"
import { join } from "node:path"
import { importBundled } from "./bundle.mjs"

const { Effect, seedHistory, repoIdFromCommonDir } = await importBundled("seed-history", {
  stdin: {
    contents: [
      `export { seedHistory } from "./test/support/seed-history"`,
      `export { repoIdFromCommonDir } from "./src/protocol/paths"`,
      `export * as Effect from "effect/Effect"`
    ].join("\n"),
    resolveDir: ".",
    loader: "ts"
  }
})

/** The repo id hookd gives a git repository (sha256 of its common dir's realpath). */
export const repoIdOf = (gitRepo) => repoIdFromCommonDir(realpathSync(join(gitRepo, ".git")))

/** `jobs` finished jobs (in invocations of `perInvocation`, one second apart, the newest now) for one repo. */
export const seedRepo = (stateDir, { repoId, root, jobs, perInvocation = 10 }) =>
  Effect.runPromise(
    seedHistory({ stateDir, repoId, root, invocations: Math.ceil(jobs / perInvocation), jobsPerInvocation: perInvocation })
  )

/** `repos` made-up repositories (roots that no longer exist, as history keeps them) of `jobs` each. */
export const seedManyRepos = async (stateDir, repos, jobs) => {
  for (let i = 0; i < repos; i++) {
    await seedRepo(stateDir, { repoId: randomBytes(8).toString("hex"), root: `/gone/repo-${i}`, jobs })
  }
}
