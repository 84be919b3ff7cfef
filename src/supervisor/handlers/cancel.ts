// CancelJob, CancelAll and CancelMatching: each cancels live job fibers (interruption), which
// kills their process groups before answering.
import { Effect } from "effect"
import { hasAnyPredicate, matchesJob } from "../../domain/matching"
import type { RequestPayloads } from "../../protocol/types"
import { NoMatch } from "../errors"
import { KillFailed } from "../../jobs/errors"
import { knownRepo, resolveJob } from "../job-address"
import { JobRunner } from "../../jobs/runner"
import { RepoRegistry } from "../../repos/registry"
import type { JobRow } from "../../store/rows"
import type { HandlerError } from "../errors"
import { LeftOut, perRepo } from "../left-out-repos"

export const jobLabel = (invocationId: string, name: string) => `${invocationId.slice(0, 8)}:${name}`

const cancelEach = (targets: ReadonlyArray<{ repoId: string; invocationId: string; name: string }>, by: string) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const results = yield* Effect.forEach(
      targets,
      (t) =>
        Effect.map(runner.cancel(t.repoId, t.invocationId, t.name, by), (result) => ({
          label: result.wasLive ? jobLabel(t.invocationId, t.name) : undefined,
          killFailed: result.killFailed
        })),
      { concurrency: "unbounded" }
    )
    const failed = results.flatMap((r) => (r.killFailed !== undefined ? [{ ...r, killFailed: r.killFailed }] : []))
    if (failed.length > 0) {
      // One error for the request: the first group's pgid and errno, every failure in the message.
      const { pgid, errno } = failed[0]!.killFailed
      return yield* new KillFailed({ pgid, errno, message: failed.map((r) => `${r.label}: ${r.killFailed.message}`).join("; ") })
    }
    const names = results.flatMap((r) => (r.label !== undefined ? [r.label] : []))
    return { count: names.length, names }
  })

export const cancelJob = (request: RequestPayloads["CancelJob"]) =>
  Effect.gen(function* () {
    const repo = yield* knownRepo(request.job.repo_root)
    const row = yield* resolveJob(repo, request.job)
    return yield* cancelEach([{ repoId: repo.repoId, invocationId: row.invocation_id, name: row.name }], "user")
  })

export const cancelAll = (request: RequestPayloads["CancelAll"]) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const runner = yield* JobRunner
    const repo = request.repo_root !== undefined ? yield* registry.find(request.repo_root) : undefined
    if (request.repo_root !== undefined && repo === undefined) return { count: 0, names: [] }
    const targets = runner.liveJobs().filter((e) => repo === undefined || e.repoId === repo.repoId)
    return yield* cancelEach(targets, "user")
  })

export const cancelMatching = (request: RequestPayloads["CancelMatching"]) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const runner = yield* JobRunner
    const predicates = {
      ...(request.hook !== undefined ? { hook: request.hook } : {}),
      ...(request.worktree !== undefined ? { worktree: request.worktree } : {}),
      ...(request.tag !== undefined ? { tag: request.tag } : {}),
      ...(request.invocation_prefix !== undefined ? { invocation_prefix: request.invocation_prefix } : {}),
      ...(request.older_than_secs !== undefined ? { older_than_secs: request.older_than_secs } : {})
    }
    if (!hasAnyPredicate(predicates) && request.repo_root === undefined) {
      return yield* new NoMatch({ message: "CancelMatching needs at least one predicate (hook, worktree, tag, invocation_prefix, older_than_secs or repo_root)" })
    }
    // One repository, or across them every repository a live job belongs to — through its store now
    // (one found damaged is opened afresh); one whose rows cannot be read is named, the others' jobs cancelled.
    const found = request.repo_root !== undefined ? yield* registry.find(request.repo_root) : undefined
    const reads: ReadonlyArray<{ readonly repoId: string; readonly rows: Effect.Effect<ReadonlyArray<JobRow>, HandlerError> }> =
      request.repo_root !== undefined
        ? found !== undefined ? [{ repoId: found.repoId, rows: found.store.nonTerminalJobs() }] : []
        : [...new Set(runner.liveJobs().map((job) => job.repoId))].map((repoId) => ({
            repoId,
            rows: Effect.flatMap(registry.current(repoId), (store) => store.nonTerminalJobs())
          }))
    const leftOut = request.repo_root === undefined ? new LeftOut() : undefined
    const now = Date.now()
    const targets: Array<{ repoId: string; invocationId: string; name: string }> = []
    for (const { repoId, rows } of reads) {
      for (const row of yield* perRepo(leftOut, { repoId }, [], rows)) {
        if (runner.live(repoId, row.invocation_id, row.name) && matchesJob(row, predicates, now)) {
          targets.push({ repoId, invocationId: row.invocation_id, name: row.name })
        }
      }
    }
    const unavailable = leftOut?.field().unavailable ?? []
    if (targets.length === 0) {
      const notRead = unavailable.map((r) => `${r.root ?? r.repo_id}: ${r.message}`).join("; ")
      return yield* new NoMatch({ message: `no running or queued job matches${notRead !== "" ? ` (not searched, its jobs could not be read — ${notRead})` : ""}` })
    }
    return { ...(yield* cancelEach(targets, "user")), ...leftOut?.field() }
  })
