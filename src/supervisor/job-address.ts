// Resolves a JobAddress ({repo_root, invocation_prefix?, name}) to one stored job.
import { Effect } from "effect"
import type { JobAddress } from "../protocol/types"
import { Ambiguous, BadRequest, JobNotFound } from "./errors"
import { RepoRegistry, type OpenRepo } from "../repos/registry"

export const INVOCATION_PREFIX_PATTERN = /^[0-9a-f]{4,16}$/

/** The one invocation whose id starts with `prefix`, or JOB_NOT_FOUND / AMBIGUOUS / BAD_REQUEST. */
export const resolveInvocation = (repo: OpenRepo, prefix: string) =>
  Effect.gen(function* () {
    if (!INVOCATION_PREFIX_PATTERN.test(prefix)) {
      return yield* new BadRequest({ message: `invocation prefix "${prefix}" must be 4 to 16 lowercase hex characters` })
    }
    const ids = yield* repo.store.invocationIdsByPrefix(prefix)
    if (ids.length === 0) return yield* new JobNotFound({ message: `no invocation starting with "${prefix}" in ${repo.root}` })
    if (ids.length > 1) {
      return yield* new Ambiguous({
        // The candidates travel in details (clients list them); the message stays one line.
        message: `invocation prefix "${prefix}" is ambiguous: ${ids.length} invocations match; use a longer prefix`,
        candidates: ids
      })
    }
    return ids[0]
  })

/** Without a prefix: the newest invocation in the repo that has a job of that name. */
export const resolveJob = (repo: OpenRepo, address: JobAddress) =>
  Effect.gen(function* () {
    const invocationId =
      address.invocation_prefix !== undefined
        ? yield* resolveInvocation(repo, address.invocation_prefix)
        : yield* repo.store.newestInvocationWithJob(address.name)
    if (invocationId === undefined) {
      return yield* new JobNotFound({ message: `no job named "${address.name}" in ${repo.root}` })
    }
    const row = yield* repo.store.getJob(invocationId, address.name)
    if (row === undefined) {
      return yield* new JobNotFound({ message: `no job named "${address.name}" in invocation ${invocationId}` })
    }
    return row
  })

/** The repository of a job address; one hookd never ran a job for has no jobs to find. */
export const knownRepo = (path: string) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const repo = yield* registry.find(path)
    if (repo === undefined) return yield* new JobNotFound({ message: `no jobs recorded for the repository at ${path}` })
    return repo
  })
