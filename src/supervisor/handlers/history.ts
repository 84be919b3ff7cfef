// Retry and Prune (SPEC §2, §9): re-run stored jobs in a new invocation; remove old history.
import { Effect } from "effect"
import { statSync } from "node:fs"
import { isRetryError, planRetry, type RetryResult } from "../../domain/retry"
import type { RequestPayloads, ResponsePayloads } from "../../protocol/types"
import { Retention } from "../../retention/service"
import { isSecretName, withRequesterSecrets } from "../../store/scrub"
import { BadRequest, JobNotFound, NoMatch, WorktreeGone } from "../errors"
import { knownRepo, resolveInvocation, resolveJob } from "../job-address"
import { specFromRow } from "../../jobs/rows"
import { JobRunner } from "../../jobs/runner"
import { LeftOut, perRepo } from "../left-out-repos"
import { RepoRegistry } from "../../repos/registry"

type Retry = RequestPayloads["Retry"]

/** Only the secret-named variables: everything else comes from the stored env, as it ran. */
const scrubbedNamesFrom = (env: Retry["env"]): Record<string, string> =>
  Object.fromEntries(Object.entries(env ?? {}).filter(([name]) => isSecretName(name)))

const worktreeExists = (path: string): boolean => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Which stored invocation, and which of its jobs, a Retry names. */
const targetOf = (request: Retry) =>
  Effect.gen(function* () {
    if (request.job !== undefined && request.invocation_prefix !== undefined) {
      return yield* new BadRequest({ message: "Retry takes either job or invocation_prefix, not both" })
    }
    // find, not resolve: asking about a repository hookd never ran a job for must not create its database.
    const repo = yield* knownRepo(request.repo_root)
    if (request.job !== undefined) {
      const row = yield* resolveJob(repo, request.job)
      const jobs = yield* repo.store.jobsOfInvocation(row.invocation_id)
      const plan = planRetry(jobs, { kind: "job", name: row.name })
      if (isRetryError(plan)) return yield* new BadRequest({ message: plan.error })
      return { repo, invocationId: row.invocation_id, jobs, plan }
    }
    if (request.invocation_prefix === undefined) {
      return yield* new BadRequest({ message: "Retry needs a job or an invocation_prefix" })
    }
    const invocationId = yield* resolveInvocation(repo, request.invocation_prefix)
    const jobs = yield* repo.store.jobsOfInvocation(invocationId)
    const plan: RetryResult = planRetry(jobs, { kind: "invocation" })
    if (isRetryError(plan)) return yield* new NoMatch({ message: `invocation ${invocationId}: ${plan.error}` })
    return { repo, invocationId, jobs, plan }
  })

/**
 * Re-runs the planned jobs with their stored spec (command, cwd, env, limits) as a new invocation
 * of the same hook, worktree and args, in the background; the old invocation is left as it was.
 */
export const retry = (request: Retry) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const { repo, invocationId, jobs, plan } = yield* targetOf(request)
    const original = yield* repo.store.getInvocation(invocationId)
    if (original === undefined) return yield* new JobNotFound({ message: `no invocation ${invocationId} in ${repo.root}` })
    if (!worktreeExists(original.worktree)) {
      return yield* new WorktreeGone({
        path: original.worktree,
        message: `worktree ${original.worktree} no longer exists; cannot retry invocation ${invocationId}`
      })
    }
    const rowByName = new Map(jobs.map((j) => [j.name, j]))
    // Scrubbing dropped or masked secrets in the stored env: the requester's environment refills them.
    const specs = plan.names.map((name) => {
      const row = rowByName.get(name)!
      return specFromRow({ ...row, env: withRequesterSecrets(row.env, request.env ?? {}) }, plan.needs[name] ?? [])
    })
    const started = yield* runner.start(
      repo,
      {
        repo_root: repo.root,
        worktree: original.worktree,
        hook: original.hook,
        args: original.args,
        env: scrubbedNamesFrom(request.env),
        mode: "auto",
        wait: false
      },
      specs
    )
    const accepted: ResponsePayloads["RunAccepted"] = {
      invocation_id: started.invocationId,
      repo_id: repo.repoId,
      jobs: started.jobs
    }
    return accepted
  })

/** The same plan as the hourly sweep (plus `older_than_secs`), for one repo or every open one. */
export const prune = (request: RequestPayloads["Prune"]) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const retention = yield* Retention
    // A repository without a database has no history; a prune (even a dry run) must not create one.
    const options = { dryRun: request.dry_run, ...(request.older_than_secs !== undefined ? { olderThanSecs: request.older_than_secs } : {}) }
    if (request.repo_root !== undefined) {
      const found = yield* registry.find(request.repo_root)
      return yield* retention.prune(found !== undefined ? [found] : [], options)
    }
    // Every repository: one that cannot be read is named in `unavailable`, the rest pruned.
    const all = yield* registry.openAll
    const leftOut = new LeftOut(all.unavailable)
    const pruned = yield* retention.prune(all.repos, { ...options, eachRepo: (repo, sweep) => perRepo(leftOut, repo, undefined, sweep) })
    return { ...pruned, ...leftOut.field() }
  })
