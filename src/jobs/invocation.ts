// One invocation (SPEC §3): a scope that owns its jobs' fibers. Each job awaits its `needs`
// through the deferreds of the jobs it needs, then runs its process holding a slot; cancel is
// interruption of its fiber (the process runner's release kills the group first). Each job is
// finalized from the Exit its fiber produced — also one interrupted before it ever ran — and the
// invocation's status rolls up once all of them are. That supervision is uninterruptible, so
// shutdown, which waits for it, never closes the database before it is written.
import { Cause, Deferred, Effect, Exit, Fiber, Scope } from "effect"
import { resolve } from "node:path"
import { recordsOfRow } from "../domain/row-records"
import { invocationStatus } from "../domain/status"
import { logError, logInfo, logWarn } from "../logging/event-log"
import type { JobSpec, JobStatus, RequestPayloads, StatusEvent } from "../protocol/types"
import type { OpenRepo } from "../repos/registry"
import { isMissingRow } from "../store/errors"
import type { RepoStore } from "../store/repo-store"
import type { JobPatch } from "../store/rows"
import { placeJob, type Containment } from "./containment"
import { type KillFailed, LogWriteFailed } from "./errors"
import { describeWriteError, type JobLog } from "./job-log"
import { endedJob, notifyDesktop } from "./desktop-notify"
import { makeJobRetries } from "./retries"
import { type LaunchLeader, runProcess, SpawnFailed, type LeaderLost, type ProcessResult } from "./run-process"
import { DEFAULT_TIMEOUT_MS } from "./rows"
import { newSlotHold, poolOf, type JobPools } from "./slots"

export type RunJobsPayload = RequestPayloads["RunJobs"]

/** How a job ended; `killFailed` when a cancel could not kill its process group (KILL_FAILED). */
export interface JobEnded {
  readonly status: JobStatus
  readonly killFailed?: KillFailed
}

export interface LiveJob {
  readonly repoId: string
  readonly invocationId: string
  readonly worktree: string
  readonly name: string
  readonly log: JobLog
  /** While it lives: queued (waiting for its needs or a slot), running, or cancelling. */
  readonly status: "queued" | "running" | "cancelling"
  /** Completed after the job's row and terminal record are written. */
  readonly done: Deferred.Deferred<JobEnded>
  /**
   * Interrupts the job and waits until its group is dead and its row terminal. `supersededBy`: the
   * invocation whose run of the same job replaces this one (`by: "superseded"`, concurrency replace).
   */
  readonly cancel: (by: string, supersededBy?: string) => Effect.Effect<JobEnded>
}

/** A job to run, its open log, and the earlier runs of the same job it must outlast (concurrency queue/replace). */
export interface PlannedJob {
  readonly spec: JobSpec
  readonly log: JobLog
  readonly after: ReadonlyArray<LiveJob>
}

export interface InvocationPlan {
  readonly repo: OpenRepo
  readonly invocationId: string
  readonly request: RunJobsPayload
  /** The jobs that run (not those skipped by a condition), each with its open log. */
  readonly jobs: ReadonlyArray<PlannedJob>
  /** Jobs skipped as unchanged since a completed run (`inputs:`): a need on one counts as completed. */
  readonly satisfiedSkips: ReadonlySet<string>
}

export interface InvocationDeps {
  readonly pools: JobPools
  readonly killGraceMs: number
  /** How job leaders are started (the spawner process, or in this process). */
  readonly launch: LaunchLeader["Type"]
  /** Under cgroup containment each job gets its own cgroup. */
  readonly containment: Containment
  /** Called as each job is finalized, before its `done` completes (the runner's index drops it). */
  readonly onJobEnded: (job: LiveJob) => void
  /** True once the runner shuts down: a job's end that cannot be recorded is no longer retried. */
  readonly stopping: () => boolean
  /**
   * The repository's store to write a job's end through: its own, or — once that one was found
   * damaged and closed — the one opened afresh from the (repaired) file.
   */
  readonly currentStore: (repo: OpenRepo) => Effect.Effect<RepoStore, { readonly message: string }>
  /** Runs `effect` on its own until it ends or the runner stops (a job's end still being written). */
  readonly inBackground: (effect: Effect.Effect<void>) => Effect.Effect<void>
}

/**
 * How long after its `attempt`-th failure a job's end that could not be recorded (a full disk, a
 * damaged database) is tried again: 1 s, then twice as long each time, at most once a minute.
 */
export const recordRetryDelayMs = (attempt: number): number => Math.min(1000 * 2 ** Math.max(0, attempt - 1), 60_000)

/** The tries of a job's end that hold the job (its `done`): the first, and those after 1 s and 2 s. */
export const FOREGROUND_TRIES = 3

/** A failed bookkeeping write is logged, never allowed to fail the job or the request. */
export const quietly = (repo: OpenRepo, fields: Record<string, string>) => <A>(write: Effect.Effect<A, { readonly message: string }>) =>
  Effect.catchAll(Effect.asVoid(write), (e) => logError("store_update_failed", { repo_id: repo.repoId, ...fields, error: e.message }))

/** The supervisor's own environment fills in only what the request lacks; never the activation fds. */
const baseEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))

type JobEnd = { readonly _tag: "Process"; readonly result: ProcessResult } | { readonly _tag: "Skipped"; readonly reason: string }

interface Terminal {
  readonly patch: JobPatch & { readonly status: JobStatus }
  readonly event: StatusEvent
}

/** The job's last spawn, as its row records it (pid, started_at). */
interface Started {
  readonly pid: number
  readonly at: number
}

/** What a job's fiber ended with, and who cancelled it (when it was interrupted). */
interface Ending {
  readonly exit: Exit.Exit<JobEnd, SpawnFailed | KillFailed | LogWriteFailed | LeaderLost>
  readonly cancelledBy: string | undefined
  readonly supersededBy: string | undefined
  readonly killFailed: KillFailed | undefined
}

/** Decides the terminal row fields and log record of a job from how its fiber ended. */
const terminalOf = ({ exit, cancelledBy = "user", supersededBy, killFailed }: Ending, now: number): Terminal => {
  if (Exit.isSuccess(exit)) {
    const end = exit.value
    if (end._tag === "Skipped") {
      return { patch: { status: "skipped", skip_reason: end.reason, finished_at: now }, event: { event: "skipped", reason: end.reason } }
    }
    const r = end.result
    switch (r._tag) {
      // A failure the OOM killer caused says so (limits.memory); a job that got over it still completed.
      case "Exited":
        return {
          patch: { status: r.code === 0 ? "completed" : "failed", exit_code: r.code, ...(r.code !== 0 && r.outOfMemory !== undefined && { error: r.outOfMemory }), finished_at: now },
          event: { event: "finished", exit_code: r.code }
        }
      case "Signaled":
        return { patch: { status: "failed", signal: r.signal, ...(r.outOfMemory !== undefined && { error: r.outOfMemory }), finished_at: now }, event: { event: "signaled", signal: r.signal } }
      case "TimedOut":
        return { patch: { status: "timed_out", error: `timed out after ${r.afterMs} ms`, finished_at: now }, event: { event: "timed_out", after_ms: r.afterMs } }
    }
  }
  if (Exit.isInterrupted(exit)) {
    const why = supersededBy !== undefined ? `superseded by ${supersededBy}` : `cancelled by ${cancelledBy}`
    const error = killFailed !== undefined ? `${why}; kill failed: ${killFailed.message}` : why
    const event: StatusEvent = { event: "cancelled", by: cancelledBy, ...(supersededBy !== undefined ? { superseded_by: supersededBy } : {}) }
    return { patch: { status: "cancelled", error, finished_at: now }, event }
  }
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value
    const spawnFailed = e._tag === "SpawnFailed"
    return {
      patch: { status: "failed", exit_code: spawnFailed ? 127 : null, error: e.message, finished_at: now },
      event: spawnFailed ? { event: "finished", exit_code: 127 } : { event: "crashed", message: e.message }
    }
  }
  return {
    patch: { status: "failed", error: "internal error (see the supervisor log)", finished_at: now },
    event: { event: "crashed", message: "internal error in the supervisor" }
  }
}

/**
 * Forks every job of the plan into a new scope and returns them, live, with `supervise`: the
 * effect (for the runner to fork) that finalizes each job as its fiber ends, rolls the invocation
 * up and closes the scope.
 */
export const launchInvocation = Effect.fn("launchInvocation")(function* (deps: InvocationDeps, plan: InvocationPlan) {
  const { repo, invocationId, request } = plan
  const scope = yield* Scope.make()
  const doneOf = new Map<string, Deferred.Deferred<JobEnded>>()
  for (const { spec } of plan.jobs) doneOf.set(spec.name, yield* Deferred.make<JobEnded>())
  const persist = (name: string, patch: JobPatch) =>
    Effect.flatMap(deps.currentStore(repo), (store) => store.updateJob(invocationId, name, patch)).pipe(quietly(repo, { job: name }))
  /**
   * A write that ends a job or an invocation. On a full disk or a damaged database it fails: it is
   * tried again (recordRetryDelayMs: 1 s, doubling, at most once a minute) through the repository's
   * store of the moment, until it is written, the row is gone (the file was replaced), or the runner
   * stops (the job's log holds the end; reconcile records it) — logged once when it first fails and
   * once when it ends. The first FOREGROUND_TRIES hold the job's end: a short outage ends the job
   * with its row final, as always; after them the job ends and the write goes on in the background,
   * so a cancel, a waiting hook or a shutdown never waits on a database that may not come back.
   */
  const untilWritten = (
    fields: Record<string, string>,
    write: (store: RepoStore) => Effect.Effect<void, { readonly message: string }>,
    onFirstFailure: Effect.Effect<void> = Effect.void
  ) => {
    let attempts = 0
    const gaveUp = (e: { readonly message: string }) =>
      logError("end_not_recorded", {
        repo_id: repo.repoId,
        ...fields,
        error: e.message,
        attempts,
        gave_up: isMissingRow(e) ? "the database no longer has the row (it was replaced); the job's log holds its end" : "hookd is stopping; the next start records the end from the job's log"
      })
    const tryWrite: Effect.Effect<void> = Effect.suspend(() => {
      attempts++
      return Effect.flatMap(deps.currentStore(repo), write)
    }).pipe(
      Effect.matchEffect({
        onSuccess: () => (attempts > 1 ? logInfo("end_recorded", { repo_id: repo.repoId, ...fields, attempts }) : Effect.void),
        onFailure: (e) => {
          const first =
            attempts === 1 && !isMissingRow(e)
              ? Effect.zipRight(onFirstFailure, logWarn("end_not_recorded", { repo_id: repo.repoId, ...fields, error: e.message, retry: "after 1 s, then backing off to once a minute, until written" }))
              : Effect.void
          if (isMissingRow(e) || deps.stopping()) return Effect.zipRight(first, gaveUp(e))
          const again = Effect.zipRight(Effect.sleep(recordRetryDelayMs(attempts)), tryWrite)
          return Effect.zipRight(first, attempts === FOREGROUND_TRIES ? deps.inBackground(again) : again)
        }
      })
    )
    return tryWrite
  }
  const rollUp = untilWritten({ invocation_id: invocationId }, (store) =>
    Effect.gen(function* () {
      yield* store.setInvocationStatus(invocationId, invocationStatus(yield* store.jobStatusesOfInvocation(invocationId)))
    })
  )
  /**
   * The terminal row, then the terminal record (a tail that sees the record finds the row final),
   * stamped with the row's finished_at: a log with no file is read back from the row (row-records.ts).
   * When the row cannot be written, the record is written at once all the same — to the file, even
   * for a job that wrote nothing: whoever records the end later — this fiber once the database is
   * back, or reconcile — takes it from the log.
   */
  const recordEnd = (name: string, terminal: Terminal, log: JobLog, started: Started | undefined) => {
    const { patch } = terminal
    const ts = patch.finished_at ?? Date.now()
    const fromRow = recordsOfRow({
      status: patch.status,
      pid: started?.pid ?? null,
      started_at: started?.at ?? null,
      finished_at: ts,
      exit_code: patch.exit_code ?? null,
      signal: patch.signal ?? null,
      error: patch.error ?? null,
      skip_reason: patch.skip_reason ?? null
    })
    // Without a final row, the row stands for no record: the held ones go to the file.
    const terminalRecord = (rowWritten: boolean) =>
      Effect.suspend(() => {
        const written = log.status(terminal.event, ts) !== undefined || log.isTerminal
        if (!written || !log.keepUnless(rowWritten ? fromRow : [])) {
          const reason = describeWriteError(log.writeError ?? new Error("the log is closed"))
          return new LogWriteFailed({ path: log.path, message: `log write failed: ${reason}` })
        }
        return Effect.void
      })
    return untilWritten(
      { invocation_id: invocationId, job: name },
      (store) => Effect.zipRight(store.updateJob(invocationId, name, patch), terminalRecord(true)),
      Effect.ignore(terminalRecord(false))
    )
  }
  let unfinished = plan.jobs.length
  // Read once per invocation (process.env is a getter per variable): what each job's env starts from.
  const requestEnv = { ...baseEnv(), ...request.env }

  const launched = yield* Effect.forEach(plan.jobs, ({ spec, log, after }, index) =>
    Effect.gen(function* () {
      const done = doneOf.get(spec.name)!
      let status: LiveJob["status"] = "queued"
      let cancelledBy: string | undefined
      let supersededBy: string | undefined
      let killFailed: KillFailed | undefined
      // What the row says of the last spawn: with the terminal patch, what a reader makes of a log with no file.
      let started: Started | undefined
      // A log write that fails (disk full) ends the job: its output would be lost from here on.
      let logFailure: LogWriteFailed | undefined
      /** While the process runs: ends it (runProcess's sink.stopOn). */
      let stopProcess: ((failure: LogWriteFailed) => void) | undefined
      log.onWriteFailed((error) => {
        logFailure = new LogWriteFailed({ path: log.path, message: `log write failed: ${describeWriteError(error)}` })
        stopProcess?.(logFailure)
      })
      const stopOn = (stop: (failure: LogWriteFailed) => void) => {
        if (logFailure !== undefined) stop(logFailure)
        else stopProcess = stop
        return () => void (stopProcess = undefined)
      }
      // Logged once per job (not per line): output stops at the first failure.
      const logWhenLogFails = <A, E, R>(running: Effect.Effect<A, E, R>) => Effect.tapError(running, (e) =>
        e instanceof LogWriteFailed ? logWarn("job_log_write_failed", { repo_id: repo.repoId, invocation_id: invocationId, job: spec.name, path: e.path, error: e.message }) : Effect.void
      )
      const pool = poolOf(deps.pools, spec.background)
      const slot = newSlotHold()
      const freeSlot = <A>(a: A): A => {
        pool.release(slot)
        return a
      }
      // `retry:` — the attempts run in this fiber, so `done` completes after the last one.
      const retries = makeJobRetries(spec.retry, { persist: (patch) => persist(spec.name, patch), log, onBackoff: () => void (status = "queued") })
      const body = Effect.gen(function* () {
        for (const need of spec.needs ?? []) {
          const dependency = doneOf.get(need)
          // A dependency that is not running was skipped: by a condition (it did not complete), or
          // as unchanged since a completed run (its work is done: dependents proceed).
          const ended = dependency ? (yield* Deferred.await(dependency)).status : plan.satisfiedSkips.has(need) ? "completed" : "skipped"
          if (ended !== "completed") return { _tag: "Skipped", reason: `dependency ${need} ${ended}` } as const
        }
        // concurrency queue/replace: never two runs of one job in one worktree at once.
        for (const earlier of after) yield* Deferred.await(earlier.done)
        // limits that cannot be applied here fail the job before it runs (never run it unlimited).
        const placement = placeJob(deps.containment, invocationId, index, spec.limits)
        if (placement._tag === "Refused") return yield* new SpawnFailed({ command: spec.run, cwd: request.worktree, message: placement.reason })
        // Made once the job holds its slot: a queued job (of a 1,000-job invocation, 992 wait) holds
        // no copy of the environment (issue 13: what queued jobs hold is promoted and marked).
        const processSpec = () => ({
          command: spec.run,
          cwd: resolve(request.worktree, spec.cwd ?? "."),
          env: { ...requestEnv, ...spec.env, HOOKD_REPO_ROOT: repo.root, HOOKD_WORKTREE: request.worktree, HOOKD_HOOK: request.hook, HOOKD_INVOCATION_ID: invocationId, HOOKD_JOB: spec.name },
          ...(request.stdin !== undefined ? { stdin: request.stdin } : {}),
          timeoutMs: spec.timeout_ms ?? DEFAULT_TIMEOUT_MS,
          graceMs: deps.killGraceMs,
          ...(placement.cgroup !== undefined && { cgroup: placement.cgroup }),
          ...(placement.limits !== undefined && { limits: placement.limits })
        })
        // Each attempt holds a slot while its process runs; the job's finalizer gives it back
        // however the attempt ended (no wrapper of its own per attempt, issue 13).
        const result = yield* retries.run(Effect.flatMap(pool.acquire(slot), () =>
          runProcess(processSpec(), {
            onSpawned: ({ pid, pgid, fingerprint }) =>
              Effect.suspend(() => {
                status = "running"
                const at = Date.now()
                started = { pid, at }
                // Row first (its pgid is what reconcile kills after a kill -9), then the record:
                // whoever sees the job started finds its row running (onSpawned is uninterruptible).
                return Effect.zipRight(
                  persist(spec.name, { status: "running", pid, pgid, proc_start: fingerprint ?? null, started_at: at }),
                  Effect.sync(() => void log.status({ event: "started", pid }, at))
                )
              }),
            onOutput: (kind, lines) => log.appendLines(kind, lines),
            onCancelling: () =>
              Effect.suspend(() => {
                // Killed because its log failed: not a cancel, and the row is written once, at the end.
                if (log.writeError !== undefined) return Effect.void
                status = "cancelling"
                return persist(spec.name, { status: "cancelling" })
              }),
            onKillFailed: (failure) => Effect.sync(() => void (killFailed = failure)),
            stopOn
          }, deps.launch).pipe(logWhenLogFails, Effect.map(freeSlot))
        ))
        // The process ended before its log's failure could stop it (a lazy log that cannot be created
        // at its first output, issue 13): output was lost all the same, so it is not a success.
        if (log.writeError !== undefined) return yield* new LogWriteFailed({ path: log.path, message: `log write failed: ${describeWriteError(log.writeError)}` })
        return { _tag: "Process", result } as const
      })
      let fiber!: Fiber.RuntimeFiber<unknown, unknown>
      const job: LiveJob = {
        repoId: repo.repoId,
        invocationId,
        worktree: request.worktree,
        name: spec.name,
        log,
        get status() {
          return status
        },
        done,
        cancel: (by, superseding) =>
          Effect.suspend(() => {
            if (cancelledBy === undefined) [cancelledBy, supersededBy] = [by, superseding]
            return Fiber.interrupt(fiber)
          }).pipe(Effect.zipRight(Deferred.await(done)))
      }
      /** Row first, then the terminal record: whoever sees the record (a tail) finds the row final. */
      const finalize = (exit: Ending["exit"]) => Effect.gen(function* () {
        // A process that failed or was interrupted is dead by now (runProcess): its slot is free; a
        // job interrupted while it waited for one leaves the queue.
        pool.release(slot)
        // A job stopped while it waited to be retried: see retries.settle.
        const terminal = retries.settle<Ending, Terminal>({ exit, cancelledBy, supersededBy, killFailed }, (ending) => terminalOf(ending, Date.now()))
        if (Exit.isFailure(exit) && !Exit.isInterrupted(exit) && Cause.failureOption(exit.cause)._tag === "None") {
          yield* logError("job_defect", { job: spec.name, cause: Cause.pretty(exit.cause) })
        }
        yield* recordEnd(spec.name, terminal, log, started)
        // `notify: true`: a desktop notification of a failure, with the job's own environment.
        if (spec.notify === true) yield* notifyDesktop(endedJob(request.hook, spec.name, invocationId, terminal.patch), { ...requestEnv, ...spec.env })
        // A job that wrote nothing has no file: its row's log_bytes is already 0.
        if (log.bytes > 0) yield* persist(spec.name, { log_bytes: log.bytes })
        log.close()
        deps.onJobEnded(job)
        // The last job to end rolls the invocation up before its `done` completes, so whoever
        // awaits the jobs finds the invocation final.
        if (--unfinished === 0) yield* rollUp
        const { status: ended } = terminal.patch
        yield* Deferred.succeed(done, ended === "cancelled" && killFailed !== undefined ? { status: ended, killFailed } : { status: ended })
      })
      // The job finalizes itself from its own Exit (no watching fiber per job, issue 13). Forked
      // uninterruptible, so the finalizer runs even for a job interrupted before it ever ran; only
      // the body is interruptible (so no onExit's mask of its own around it).
      const run = Effect.matchCauseEffect(Effect.interruptible(body), {
        onFailure: (cause) => finalize(Exit.failCause(cause)),
        onSuccess: (end) => finalize(Exit.succeed(end))
      })
      fiber = yield* Effect.uninterruptible(Effect.forkIn(run, scope))
      return { job, fiber }
    })
  )

  // Each job's fiber ends once its row and the roll-up are written; the fibers are awaited, not watched.
  const finalizeAll = Effect.forEach(launched, (l) => Fiber.await(l.fiber), { discard: true })
  const supervise = (launched.length > 0 ? finalizeAll : rollUp).pipe(Effect.ensuring(Scope.close(scope, Exit.void)), Effect.uninterruptible)
  return { jobs: launched.map((l) => l.job), supervise }
})
