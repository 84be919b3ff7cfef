// RunJobs: resolve the repo, take the jobs from the request or from hookd.yml, start the
// invocation, answer RunAccepted and, with wait:true, stream the waited jobs' records.
import { Chunk, Deferred, Effect, Stream } from "effect"
import { ConfigInvalid, loadHookJobs } from "../../config/load"
import { isInsideRelativePath } from "../../config/schema"
import { findNeedsProblem } from "../../domain/dag"
import { tailJobLog } from "../../jobs/tail"
import { jobLogPath } from "../../protocol/paths"
import { isTerminalRecord, response, type JobSpec, type JobStatus, type RequestPayloads, type ResponseEnvelope, type StreamOutcome } from "../../protocol/types"
import type { Connection, Replier } from "../socket-server"
import { BadRequest } from "../errors"
import { JobRunner, type LiveJob } from "../../jobs/runner"
import { toJobInfo } from "../../jobs/rows"
import { planInputCache, type CacheNote } from "../../inputs/cache"
import { logInfo, logWarn } from "../../logging/event-log"
import { RepoRegistry, type OpenRepo } from "../../repos/registry"
import { Settings } from "../../settings/settings"
import type { RepoStore } from "../../store/repo-store"

type RunJobs = RequestPayloads["RunJobs"]

/** `mode` overrides each job's own background flag. */
const applyMode = (specs: ReadonlyArray<JobSpec>, mode: RunJobs["mode"]): JobSpec[] =>
  specs.map((s) => (mode === "auto" ? s : { ...s, background: mode === "background" }))

const explicitJobs = (request: RunJobs, jobs: ReadonlyArray<JobSpec>) =>
  Effect.gen(function* () {
    const problem = findNeedsProblem(jobs)
    if (problem) {
      return yield* new ConfigInvalid({ file: "<RunJobs request>", line: undefined, path: `jobs.${problem.job}`, message: problem.message })
    }
    for (const job of jobs) {
      if (job.cwd !== undefined && (job.cwd.startsWith("/") || job.cwd.split("/").includes(".."))) {
        return yield* new BadRequest({ message: `job "${job.name}": cwd must be relative to the worktree, got "${job.cwd}"` })
      }
      const outside = [...(job.inputs?.files ?? []), ...(job.outputs ?? [])].find((path) => !isInsideRelativePath(path))
      if (outside !== undefined) {
        return yield* new BadRequest({
          message: `job "${job.name}": inputs and outputs must be paths relative to the worktree, got ${JSON.stringify(outside)}`
        })
      }
    }
    return applyMode(jobs, request.mode)
  })

export const outcomeOf = (statuses: ReadonlyArray<JobStatus>): StreamOutcome =>
  statuses.every((s) => s === "completed" || s === "skipped")
    ? "completed"
    : statuses.some((s) => s === "cancelled") && !statuses.some((s) => s === "failed" || s === "timed_out")
      ? "cancelled"
      : "failed"

/** One supervisor-log line per job with inputs: run (and why), skipped, or no key (and why). */
const logCacheNotes = (repoId: string, invocationId: string, notes: ReadonlyArray<CacheNote>) =>
  Effect.forEach(
    notes,
    (note) =>
      (note.outcome === "no key" ? logWarn : logInfo)("input_cache", {
        repo_id: repoId,
        invocation_id: invocationId,
        job: note.job,
        outcome: note.outcome,
        detail: note.detail
      }),
    { discard: true }
  )

/**
 * The retention policy each store was last given by this process. Only RunJobs writes it, and a
 * store is this supervisor's alone (its lock), so an equal policy is not written again: a hook run
 * no longer costs a SQLite write (and WAL growth) for a policy that did not change (issue 13). A
 * store opened afresh (a damaged one replaced) is a new object, and is written once.
 */
const policiesWritten = new WeakMap<RepoStore, string>()

const putPolicyIfChanged = (store: RepoStore, policy: Parameters<RepoStore["putPolicy"]>[0]) =>
  Effect.suspend(() => {
    const key = JSON.stringify(policy)
    if (policiesWritten.get(store) === key) return Effect.void
    return Effect.tap(store.putPolicy(policy), () => Effect.sync(() => void policiesWritten.set(store, key)))
  })

export interface StartOptions {
  /** Record every job skipped with this reason instead of running it (a stale spooled hook request). */
  readonly skipAll?: string
  /** Hand out the repo's pending failure notices (a hook run whose hook process can print them). */
  readonly takeNotices: boolean
}

/**
 * Everything RunJobs does before it answers: resolve the repo, take the jobs from the request or
 * from hookd.yml, start the invocation. Shared with the spool (src/spool/), so a request a
 * fire-and-forget shim spooled runs exactly as if it had come over the socket.
 */
export const startRun = (request: RunJobs, options: StartOptions) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const runner = yield* JobRunner
    const repo = yield* registry.resolve(request.repo_root)
    let specs: JobSpec[]
    if (request.jobs !== undefined) {
      specs = yield* explicitJobs(request, request.jobs)
    } else {
      const loaded = yield* loadHookJobs({
        worktree: request.worktree,
        repoRoot: repo.root,
        hook: request.hook,
        args: request.args,
        env: request.env,
        mode: request.mode
      })
      specs = [...loaded.jobs]
      yield* putPolicyIfChanged(repo.store, loaded.policy)
    }
    if (options.skipAll !== undefined) specs = specs.map((s) => ({ ...s, skip_reason: options.skipAll }))
    // Jobs with `inputs:` whose inputs are unchanged since their last completed run become skipped.
    const cache = yield* planInputCache(repo.store, { worktree: request.worktree, env: request.env }, specs)
    const started = yield* runner.start(repo, request, cache.specs)
    yield* logCacheNotes(repo.repoId, started.invocationId, cache.notes)
    // A hook run (not an explicit job list) carries the repo's unreported background failures; a
    // store problem here costs the notices, never the hook run.
    const notices =
      request.jobs !== undefined || !options.takeNotices
        ? []
        : yield* repo.store.takeFailureNotices(Date.now()).pipe(Effect.orElseSucceed(() => []))
    return { repo, specs, started, notices }
  })

/**
 * The waited jobs' rows once they ended (each is terminal by then: `done` completes after its row is
 * written), in declaration order, for the hook's summary in StreamEnd — one read in the supervisor
 * instead of a ListJobs round trip from the hook (issue 13: a waited hook's time). The summary only
 * informs, so a store that cannot answer leaves it out.
 */
const waitedJobsAsEnded = (repo: OpenRepo, invocationId: string, backgroundOf: ReadonlyMap<string, boolean>) =>
  // Only the waited rows are read and decoded: a hook that also starts 1,000 background jobs does
  // not decode 1,000 rows for its summary (issue 13).
  repo.store.waitedJobsOfInvocation(invocationId).pipe(
    Effect.map((rows) => {
      const now = Date.now()
      return rows.filter((row) => backgroundOf.get(row.name) === false).map((row) => toJobInfo(repo, row, now))
    }),
    Effect.orElseSucceed(() => undefined)
  )

export const handleRunJobs = (request: RunJobs, id: string | undefined, reply: Replier, _connection: Connection) =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const { repo, specs, started, notices } = yield* startRun(request, { takeNotices: true })
    yield* reply.send(
      response(
        "RunAccepted",
        {
          invocation_id: started.invocationId,
          repo_id: repo.repoId,
          jobs: started.jobs,
          ...(notices.length > 0 && { notices: notices.map((n) => ({ ...n, status: n.status as JobStatus })) })
        },
        id
      )
    )
    if (!request.wait) return
    const backgroundOf = new Map(specs.map((s) => [s.name, s.background]))
    const waited = started.live.filter((e) => backgroundOf.get(e.name) === false)
    const skippedWaited = started.jobs.filter((j) => j.status === "skipped" && backgroundOf.get(j.name) === false)
    const framesOf = (name: string, live: LiveJob["log"] | undefined) =>
      tailJobLog({ path: jobLogPath(settings.stateDir, repo.repoId, started.invocationId, name), live, follow: true }).pipe(
        Stream.map((record): ResponseEnvelope => response("StreamFrame", { record, job: name }, id)),
        Stream.catchAll(() => Stream.empty)
      )
    // Waited jobs skipped by a condition are streamed too (their one `skipped` record), so the hook
    // can say why a check did not run.
    const streams = [...skippedWaited.map((j) => framesOf(j.name, started.logs.get(j.name))), ...waited.map((entry) => framesOf(entry.name, entry.log))]
    // No read-ahead beyond one chunk per job: the hook's socket sets the pace (issue 14 item 5). One
    // job's stream goes as it is: a merge costs fibers and a queue per chunk.
    const merged = streams.length === 1 ? streams[0]! : Stream.mergeAll(streams, { concurrency: "unbounded", bufferSize: 1 })
    // One waited job: its `started` record leaves with the record after it, and its terminal record
    // — the stream's last before StreamEnd, which follows as soon as its row is read back — with
    // StreamEnd (the replier writes a chunk at a time). A silent check's stream is then one write
    // and one wake-up of the hook, which prints neither record (issue 13: waited hook).
    const heldBack: ResponseEnvelope[] = []
    const records =
      streams.length !== 1
        ? merged
        : Stream.mapChunks(merged, (chunk) => {
            const out: ResponseEnvelope[] = []
            for (const frame of chunk) {
              const record = frame.kind === "StreamFrame" ? frame.payload.record : undefined
              if (record?.kind === "status" && (record.data.event === "started" || isTerminalRecord(record))) heldBack.push(frame)
              else out.push(...heldBack.splice(0), frame)
            }
            return Chunk.unsafeFromArray(out)
          })
    const end = Stream.unwrap(
      Effect.gen(function* () {
        const statuses = yield* Effect.forEach(waited, (e) => Effect.map(Deferred.await(e.done), (ended) => ended.status))
        const outcome = outcomeOf([...statuses, ...skippedWaited.map((): JobStatus => "skipped")])
        const jobs = yield* waitedJobsAsEnded(repo, started.invocationId, backgroundOf)
        const last = response("StreamEnd", { outcome, ...(jobs !== undefined && { jobs }) }, id) as ResponseEnvelope
        return Stream.fromChunk(Chunk.unsafeFromArray([...heldBack.splice(0), last]))
      })
    )
    yield* reply.stream(Stream.concat(records, end))
    // The hook went away (Ctrl-C on `git commit`) before its foreground jobs ended: stop them too
    // (cancelling a job that has ended does nothing).
    yield* Effect.forEach(waited, (e) => e.cancel("client disconnected"), { concurrency: "unbounded", discard: true })
  })
