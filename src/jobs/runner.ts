// Runs invocations: one fiber per job in a keyed FiberMap, `needs` awaited through deferreds,
// a global FIFO slot pool bounding running jobs, and cancel = interruption of the job's fiber (the
// process runner's finalizer kills the whole process group before the interruption completes).
import { Cause, Chunk, Context, Deferred, Effect, Exit, FiberId, FiberMap, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { resolve } from "node:path"
import { invocationStatus } from "../domain/reconcile"
import { JobLog } from "./job-log"
import { runProcess, type ProcessResult } from "./run-process"
import { jobLogPath } from "../protocol/paths"
import type { JobSpec, JobStatus, RequestPayloads, RunAcceptedJob, StatusEvent } from "../protocol/types"
import type { JobPatch, JobRow } from "../store/rows"
import { JobLogUnwritable, KillFailed, ShuttingDown } from "./errors"
import type { StoreError } from "../store/errors"
import { logError } from "../logging/event-log"
import { DEFAULT_TIMEOUT_MS, newJobRow } from "./rows"
import { makeJobSlots } from "./slots"
import { Lifecycle } from "../lifecycle/lifecycle"
import type { OpenRepo } from "../repos/registry"
import { Settings } from "../settings/settings"

type RunJobsPayload = RequestPayloads["RunJobs"]

export interface LiveJob {
  readonly repoId: string
  readonly invocationId: string
  readonly name: string
  readonly log: JobLog
  /** Completed with the job's terminal status, after its row and terminal record are written. */
  readonly done: Deferred.Deferred<JobStatus>
  status: JobStatus
  cancelBy: string | undefined
  /** Set once the terminal row and record are written (exactly once per job). */
  finalized: boolean
  /** Why the process group could not be killed, when a cancel failed to (KILL_FAILED). */
  killFailed: KillFailed | undefined
}

export interface StartedInvocation {
  readonly invocationId: string
  readonly jobs: ReadonlyArray<RunAcceptedJob>
  /** Live entries of every job that was started (skipped-by-condition jobs have none). */
  readonly live: ReadonlyArray<LiveJob>
}

export interface JobRunnerService {
  readonly start: (
    repo: OpenRepo,
    request: RunJobsPayload,
    specs: ReadonlyArray<JobSpec>
  ) => Effect.Effect<StartedInvocation, ShuttingDown | JobLogUnwritable | StoreError>
  /** Interrupts a live job and waits until its group is dead and its row is terminal. */
  readonly cancel: (repoId: string, invocationId: string, name: string, by: string) => Effect.Effect<CancelResult>
  readonly live: (repoId: string, invocationId: string, name: string) => LiveJob | undefined
  readonly liveJobs: () => ReadonlyArray<LiveJob>
  /** Cancels every live job (`by: "shutdown"`) and waits for all of them. */
  readonly cancelEverything: (by: string) => Effect.Effect<void>
}

/** `wasLive` false: the job had already ended (or ended on its own as the cancel arrived). `killFailed`: its group could not be killed. */
export interface CancelResult {
  readonly wasLive: boolean
  readonly killFailed?: KillFailed
}

export class JobRunner extends Context.Tag("hookd/JobRunner")<JobRunner, JobRunnerService>() {}

export const newInvocationId = (): string => randomBytes(8).toString("hex")

const keyOf = (repoId: string, invocationId: string, name: string) => `${repoId}/${invocationId}/${name}`

/** The supervisor's own environment fills in only what the request lacks; never the activation fds. */
const baseEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v
  return env
}

type JobEnd =
  | { readonly _tag: "Process"; readonly result: ProcessResult }
  | { readonly _tag: "Skipped"; readonly reason: string }

interface Terminal {
  readonly patch: JobPatch & { readonly status: JobStatus }
  readonly event: StatusEvent
}

/** Decides the terminal row fields and log record of a job from how its fiber ended. */
const terminalOf = (exit: Exit.Exit<JobEnd, { readonly _tag: string; readonly message: string }>, entry: LiveJob, now: number): Terminal => {
  if (Exit.isSuccess(exit)) {
    const end = exit.value
    if (end._tag === "Skipped") {
      return { patch: { status: "skipped", skip_reason: end.reason, finished_at: now }, event: { event: "skipped", reason: end.reason } }
    }
    const r = end.result
    switch (r._tag) {
      case "Exited":
        return {
          patch: { status: r.code === 0 ? "completed" : "failed", exit_code: r.code, finished_at: now },
          event: { event: "finished", exit_code: r.code }
        }
      case "Signaled":
        return { patch: { status: "failed", signal: r.signal, finished_at: now }, event: { event: "signaled", signal: r.signal } }
      case "TimedOut":
        return {
          patch: { status: "timed_out", error: `timed out after ${r.afterMs} ms`, finished_at: now },
          event: { event: "timed_out", after_ms: r.afterMs }
        }
    }
  }
  if (Exit.isInterrupted(exit)) {
    const by = entry.cancelBy ?? "user"
    // An interrupted fiber has no error channel: a group that could not be killed shows up as a defect.
    const killFailure = Cause.defects(exit.cause).pipe(Chunk.findFirst((d) => d instanceof KillFailed))
    if (killFailure._tag === "Some") entry.killFailed = killFailure.value as KillFailed
    const error = entry.killFailed !== undefined ? `cancelled by ${by}; kill failed: ${entry.killFailed.message}` : `cancelled by ${by}`
    return { patch: { status: "cancelled", error, finished_at: now }, event: { event: "cancelled", by } }
  }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value
    const exitCode = e._tag === "SpawnFailed" ? 127 : null
    return {
      patch: { status: "failed", exit_code: exitCode, error: e.message, finished_at: now },
      event: e._tag === "SpawnFailed" ? { event: "finished", exit_code: 127 } : { event: "crashed", message: e.message }
    }
  }
  return {
    patch: { status: "failed", error: "internal error (see the supervisor log)", finished_at: now },
    event: { event: "crashed", message: "internal error in the supervisor" }
  }
}

export const JobRunnerLive = Layer.scoped(
  JobRunner,
  Effect.gen(function* () {
    const settings = yield* Settings
    const lifecycle = yield* Lifecycle
    const fibers = yield* FiberMap.make<string>()
    const slots = makeJobSlots(settings.maxParallel)
    const live = new Map<string, LiveJob>()
    // Invocation id → its repo and how many of its jobs have not ended yet (while it has any).
    const running = new Map<string, { readonly repo: OpenRepo; remaining: number }>()

    /** A failed bookkeeping write is logged, never allowed to fail the job or the request. */
    const logStoreFailure =
      (repo: OpenRepo, fields: Record<string, string>) =>
      <A>(write: Effect.Effect<A, { readonly message: string }>) =>
        write.pipe(
          Effect.asVoid,
          Effect.catchAll((e) => logError("store_update_failed", { repo_id: repo.repoId, ...fields, error: String(e.message) }))
        )

    const persistJob = (repo: OpenRepo, invocationId: string, name: string, patch: JobPatch) =>
      repo.store.updateJob(invocationId, name, patch).pipe(logStoreFailure(repo, { job: name }))

    const persist = (repo: OpenRepo, entry: LiveJob, patch: JobPatch) => persistJob(repo, entry.invocationId, entry.name, patch)

    const finishInvocationIfDone = (repo: OpenRepo, invocationId: string) =>
      Effect.gen(function* () {
        const jobs = yield* repo.store.jobsOfInvocation(invocationId)
        yield* repo.store.setInvocationStatus(invocationId, invocationStatus(jobs.map((j) => j.status)))
      }).pipe(logStoreFailure(repo, { invocation_id: invocationId }))

    /** Writes the terminal record and row, then releases dependents. Runs once per job. */
    const finalizeJob = (repo: OpenRepo, entry: LiveJob, exit: Exit.Exit<JobEnd, { readonly _tag: string; readonly message: string }>) =>
      Effect.gen(function* () {
        if (entry.finalized) return
        entry.finalized = true
        const terminal = terminalOf(exit, entry, Date.now())
        if (Exit.isFailure(exit) && !Exit.isInterrupted(exit) && Cause.failureOption(exit.cause)._tag === "None") {
          yield* logError("job_defect", { job: entry.name, cause: Cause.pretty(exit.cause) })
        }
        const status = terminal.patch.status
        // Row first, then the terminal record: whoever sees the record (a tail) finds the row final.
        yield* persist(repo, entry, terminal.patch)
        entry.log.status(terminal.event)
        yield* persist(repo, entry, { log_bytes: entry.log.bytes })
        entry.status = status
        entry.log.close()
        live.delete(keyOf(entry.repoId, entry.invocationId, entry.name))
        // The invocation's status rolls up when its last job ends, inside this uninterruptible step,
        // so shutdown (which waits for every job) never closes the database before it is written.
        const invocation = running.get(entry.invocationId)
        if (invocation !== undefined && --invocation.remaining === 0) {
          running.delete(entry.invocationId)
          yield* finishInvocationIfDone(repo, entry.invocationId)
        }
        // Status is recorded before the deferred completes, so dependents see a consistent state.
        yield* Deferred.succeed(entry.done, status)
      }).pipe(Effect.uninterruptible)

    const runJob = (repo: OpenRepo, request: RunJobsPayload, spec: JobSpec, entry: LiveJob, invocationLive: Map<string, LiveJob>) => {
      const body: Effect.Effect<JobEnd, { readonly _tag: string; readonly message: string }> = Effect.gen(function* () {
        for (const need of spec.needs ?? []) {
          const dependency = invocationLive.get(need)
          // A dependency with no live entry was skipped by a condition: it did not complete.
          const status = dependency ? yield* Deferred.await(dependency.done) : "skipped"
          if (status !== "completed") return { _tag: "Skipped", reason: `dependency ${need} ${status}` } as const
        }
        const env = {
          ...baseEnv(),
          ...request.env,
          ...spec.env,
          HOOKD_REPO_ROOT: repo.root,
          HOOKD_WORKTREE: request.worktree,
          HOOKD_HOOK: request.hook,
          HOOKD_INVOCATION_ID: entry.invocationId,
          HOOKD_JOB: spec.name
        }
        const result = yield* slots.withSlot(
          runProcess(
            {
              command: spec.run,
              cwd: resolve(request.worktree, spec.cwd ?? "."),
              env,
              ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
              timeoutMs: spec.timeout_ms ?? DEFAULT_TIMEOUT_MS,
              graceMs: settings.killGraceMs
            },
            {
              onSpawned: ({ pid, pgid, fingerprint }) =>
                Effect.suspend(() => {
                  entry.status = "running"
                  entry.log.status({ event: "started", pid })
                  return persist(repo, entry, { status: "running", pid, pgid, proc_start: fingerprint ?? null, started_at: Date.now() })
                }),
              onLine: (kind, text) => entry.log.append(kind, text),
              onCancelling: () =>
                Effect.suspend(() => {
                  entry.status = "cancelling"
                  return persist(repo, entry, { status: "cancelling" })
                })
            }
          )
        )
        return { _tag: "Process", result } as const
      })
      return body.pipe(
        Effect.onExit((exit) => finalizeJob(repo, entry, exit)),
        Effect.ignore
      )
    }

    /**
     * Opens every job's log, after the rows exist (retention relies on that order). If one cannot be
     * opened, nothing runs: the logs already open get a terminal record and are closed, and every
     * row that would have run ends `failed` with the reason, so no row is left queued.
     */
    const openLogs = (repo: OpenRepo, invocationId: string, specs: ReadonlyArray<JobSpec>, now: number) =>
      Effect.gen(function* () {
        const logs: JobLog[] = []
        let failure: JobLogUnwritable | undefined
        for (const spec of specs) {
          const path = jobLogPath(settings.stateDir, repo.repoId, invocationId, spec.name)
          try {
            logs.push(
              JobLog.open(path, {
                ...(spec.log?.sampling_every_nth !== undefined ? { samplingEveryNth: spec.log.sampling_every_nth } : {}),
                ...(spec.log?.max_bytes !== undefined ? { maxBytes: spec.log.max_bytes } : {})
              })
            )
          } catch (e) {
            failure = new JobLogUnwritable({ path, message: `cannot create the job log ${path}: ${(e as Error).message}` })
            break
          }
        }
        if (failure === undefined) return logs
        const error = `not started: ${failure.message}`
        for (const [i, log] of logs.entries()) {
          const skipReason = specs[i]!.skip_reason
          log.status(skipReason !== undefined ? { event: "skipped", reason: skipReason } : { event: "crashed", message: error })
          log.close()
        }
        yield* repo.store
          .updateJobs(
            specs
              .filter((spec) => spec.skip_reason === undefined)
              .map((spec) => ({ invocationId, name: spec.name, patch: { status: "failed", error, finished_at: now } }))
          )
          .pipe(Effect.zipRight(repo.store.setInvocationStatus(invocationId, "failed")), logStoreFailure(repo, { invocation_id: invocationId }))
        return yield* failure
      })

    const start: JobRunnerService["start"] = (repo, request, specs) =>
      Effect.gen(function* () {
        // A request that was already in flight (loading its config) when shutdown began must not
        // start jobs after the supervisor has cancelled everything (RunJobs and Retry alike).
        if (yield* lifecycle.isDraining) {
          return yield* new ShuttingDown({ message: "hookd is shutting down: nothing was started; run it again once hookd is back" })
        }
        const invocationId = newInvocationId()
        const now = Date.now()
        const requestEnv = { ...request.env }
        const rows: JobRow[] = specs.map((spec) =>
          newJobRow(spec, { invocationId, hook: request.hook, worktree: request.worktree, env: requestEnv, now })
        )
        yield* repo.store.insertInvocation(
          {
            invocation_id: invocationId,
            hook: request.hook,
            worktree: request.worktree,
            args: [...request.args],
            created_at: now,
            status: "running",
            supervisor_pid: process.pid
          },
          rows
        )
        const logs = yield* openLogs(repo, invocationId, specs, now)
        const invocationLive = new Map<string, LiveJob>()
        const started: LiveJob[] = []
        for (const [i, spec] of specs.entries()) {
          const log = logs[i]!
          if (spec.skip_reason !== undefined) {
            log.status({ event: "skipped", reason: spec.skip_reason })
            log.close()
            // The row was inserted before its log existed: record the skipped record's bytes.
            yield* persistJob(repo, invocationId, spec.name, { log_bytes: log.bytes })
            continue
          }
          const entry: LiveJob = {
            repoId: repo.repoId,
            invocationId,
            name: spec.name,
            log,
            done: yield* Deferred.make<JobStatus>(),
            status: "queued",
            cancelBy: undefined,
            finalized: false,
            killFailed: undefined
          }
          invocationLive.set(spec.name, entry)
          live.set(keyOf(repo.repoId, invocationId, spec.name), entry)
          started.push(entry)
        }
        if (started.length > 0) running.set(invocationId, { repo, remaining: started.length })
        for (const spec of specs) {
          const entry = invocationLive.get(spec.name)
          if (!entry) continue
          yield* FiberMap.run(fibers, keyOf(repo.repoId, invocationId, spec.name), runJob(repo, request, spec, entry, invocationLive), {
            onlyIfMissing: true
          })
        }
        if (started.length === 0) yield* finishInvocationIfDone(repo, invocationId)
        return {
          invocationId,
          jobs: rows.map((r) => ({ name: r.name, status: r.status })),
          live: started
        }
      })

    const cancel: JobRunnerService["cancel"] = (repoId, invocationId, name, by) =>
      Effect.gen(function* () {
        const key = keyOf(repoId, invocationId, name)
        const entry = live.get(key)
        if (!entry) return { wasLive: false }
        if (entry.cancelBy === undefined) entry.cancelBy = by
        yield* FiberMap.remove(fibers, key)
        // A fiber interrupted before it first ran never reaches its onExit: finalize it here.
        const repo = running.get(entry.invocationId)?.repo
        if (repo !== undefined && !entry.finalized) yield* finalizeJob(repo, entry, Exit.interrupt(FiberId.none))
        // A job that ended on its own just as the cancel arrived was not cancelled: do not count it.
        const ended = yield* Deferred.await(entry.done)
        if (ended !== "cancelled") return { wasLive: false }
        return entry.killFailed !== undefined ? { wasLive: true, killFailed: entry.killFailed } : { wasLive: true }
      })

    const cancelEverything: JobRunnerService["cancelEverything"] = (by) =>
      Effect.forEach([...live.values()], (e) => cancel(e.repoId, e.invocationId, e.name, by), {
        concurrency: "unbounded",
        discard: true
      })

    yield* Effect.addFinalizer(() => cancelEverything("shutdown"))

    return {
      start,
      cancel,
      live: (repoId, invocationId, name) => live.get(keyOf(repoId, invocationId, name)),
      liveJobs: () => [...live.values()],
      cancelEverything
    } satisfies JobRunnerService
  })
)
