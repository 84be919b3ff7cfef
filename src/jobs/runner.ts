// The job runner service: starts invocations (invocation.ts runs each one as a scope of job
// fibers), bounds running jobs with two FIFO slot pools (foreground, background), keeps the index of live jobs by
// (repo, invocation, name) for lookups and cancel, and cancels everything at shutdown.
import { Context, Effect, FiberSet, Layer, Option } from "effect"
import { randomBytes } from "node:crypto"
import { isSatisfiedSkip, type CachedJobSpec } from "../domain/input-cache"
import { recordsOfRow } from "../domain/row-records"
import { Lifecycle } from "../lifecycle/lifecycle"
import { jobLogPath } from "../protocol/paths"
import { join } from "node:path"
import type { JobSpec, RunAcceptedJob } from "../protocol/types"
import { RepoRegistry, type OpenRepo } from "../repos/registry"
import { Settings } from "../settings/settings"
import type { StoreError } from "../store/errors"
import { JobContainment } from "./containment"
import { type KillFailed, ShuttingDown } from "./errors"
import { launchInvocation, quietly, type InvocationDeps, type LiveJob, type PlannedJob, type RunJobsPayload } from "./invocation"
import { makeJobKeyIndex } from "./job-keys"
import { JobLog } from "./job-log"
import { newJobRow } from "./rows"
import { spawnWithSpawner } from "./run-process"
import { makeJobPools, type JobPools } from "./slots"
import { makeRunningHere, RunningHere } from "./running-here"
import { Spawner } from "./spawner"

export type { JobEnded, LiveJob } from "./invocation"

export interface StartedInvocation {
  readonly invocationId: string
  readonly jobs: ReadonlyArray<RunAcceptedJob>
  /** Every job that was started (skipped-by-condition jobs are not). */
  readonly live: ReadonlyArray<LiveJob>
  /** Every job's log, by name, skipped ones too: a log never written to disk is read from here. */
  readonly logs: ReadonlyMap<string, JobLog>
}

/** `wasLive` false: the job had already ended (or ended on its own as the cancel arrived). `killFailed`: its group could not be killed. */
export interface CancelResult {
  readonly wasLive: boolean
  readonly killFailed?: KillFailed
}

export interface JobRunnerService {
  readonly start: (
    repo: OpenRepo,
    request: RunJobsPayload,
    /** JobSpecs, plus what the input cache decided (the key to record; a skip as unchanged). */
    specs: ReadonlyArray<CachedJobSpec>
  ) => Effect.Effect<StartedInvocation, ShuttingDown | StoreError>
  /** Interrupts a live job and waits until its group is dead and its row is terminal. */
  readonly cancel: (repoId: string, invocationId: string, name: string, by: string) => Effect.Effect<CancelResult>
  readonly live: (repoId: string, invocationId: string, name: string) => LiveJob | undefined
  /** Every live job; none means the runner is idle. */
  readonly liveJobs: () => ReadonlyArray<LiveJob>
  /** Cancels every live job and waits for all of them (`by: "shutdown"` at shutdown). */
  readonly cancelEverything: (by: string) => Effect.Effect<void>
  /** The two slot pools, for `hookctl status`. */
  readonly pools: JobPools
}

export class JobRunner extends Context.Tag("hookd/JobRunner")<JobRunner, JobRunnerService>() {}

export const newInvocationId = (): string => randomBytes(8).toString("hex")

const keyOf = (repoId: string, invocationId: string, name: string) => `${repoId}/${invocationId}/${name}`

export const JobRunnerLive = Layer.scoped(
  JobRunner,
  Effect.gen(function* () {
    const settings = yield* Settings
    const lifecycle = yield* Lifecycle
    // Made before the shutdown finalizer below, so it closes after it: by then every job has been
    // cancelled, and closing waits for the (uninterruptible) roll-ups still writing.
    const invocations = yield* FiberSet.make()
    const live = new Map<string, LiveJob>()
    // Shared with reconcile when the supervisor provides it (a reopened database's reconcile skips these).
    const here = Option.getOrElse(yield* Effect.serviceOption(RunningHere), makeRunningHere)
    const registry = yield* RepoRegistry
    let stopping = false
    const byJobKey = makeJobKeyIndex()
    // Starts are serialized: a concurrency decision must see every run started before it.
    const startLock = yield* Effect.makeSemaphore(1)
    // Job leaders are started by the spawner process, so fork() never copies this (large) process.
    // The run dir: where older versions' helpers had their sockets (removed when a helper starts).
    const spawner = yield* Effect.acquireRelease(
      Effect.sync(() => new Spawner(undefined, undefined, join(settings.stateDir, "run"))),
      (s) => Effect.sync(() => s.close())
    )
    const deps: InvocationDeps = {
      launch: spawnWithSpawner(spawner),
      pools: makeJobPools({ foreground: settings.maxForeground, background: settings.maxParallel }),
      killGraceMs: settings.killGraceMs,
      containment: yield* JobContainment,
      onJobEnded: (job) => {
        live.delete(keyOf(job.repoId, job.invocationId, job.name))
        here.remove(job.repoId, job.invocationId, job.name)
        byJobKey.remove(job)
      },
      // A store found damaged was closed by the registry: write through the one it opens afresh.
      currentStore: (repo) => (repo.store.isDamaged() ? registry.current(repo.repoId) : Effect.succeed(repo.store)),
      // Interrupted when the runner stops (the set closes after every job was cancelled).
      inBackground: (effect) => Effect.asVoid(FiberSet.run(invocations, effect)),
      stopping: () => stopping
    }

    /**
     * Every job's log, lazily (issue 13): nothing is created on disk until a job writes output, so
     * a job that writes nothing costs no directory, file or write — readers make its records from
     * its row. A log that cannot be created then ends its job (`log write failed: …`).
     */
    const lazyLogs = (repo: OpenRepo, invocationId: string, specs: ReadonlyArray<JobSpec>): JobLog[] =>
      specs.map((spec) =>
        JobLog.lazy(jobLogPath(settings.stateDir, repo.repoId, invocationId, spec.name), {
          ...(spec.log?.sampling_every_nth !== undefined ? { samplingEveryNth: spec.log.sampling_every_nth } : {}),
          ...(spec.log?.max_bytes !== undefined ? { maxBytes: spec.log.max_bytes } : {})
        })
      )

    const start = Effect.fn("JobRunner.start")(function* (repo: OpenRepo, request: RunJobsPayload, requested: ReadonlyArray<CachedJobSpec>) {
      // A request that was already in flight (loading its config) when shutdown began must not
      // start jobs after the supervisor has cancelled everything (RunJobs and Retry alike).
      if (yield* lifecycle.isDraining) {
        return yield* new ShuttingDown({ message: "hookd is shutting down: nothing was started; run it again once hookd is back" })
      }
      const invocationId = newInvocationId()
      const { specs, after, supersede } = byJobKey.plan(repo.repoId, request.worktree, requested)
      const now = Date.now()
      const env = { ...request.env }
      const rows = specs.map((spec) => newJobRow(spec, { invocationId, hook: request.hook, worktree: request.worktree, env, now }))
      const invocation = { invocation_id: invocationId, hook: request.hook, worktree: request.worktree, args: [...request.args] }
      yield* repo.store.insertInvocation({ ...invocation, created_at: now, status: "running", supervisor_pid: process.pid }, rows)
      const logs = lazyLogs(repo, invocationId, specs)
      const toRun: PlannedJob[] = []
      for (const [i, spec] of specs.entries()) {
        const log = logs[i]!
        if (spec.skip_reason === undefined) {
          toRun.push({ spec, log, after: after.get(spec.name) ?? [] })
          continue
        }
        // Stamped with the row's finished_at, so the row stands for it and no file is needed.
        log.status({ event: "skipped", reason: spec.skip_reason }, now)
        log.keepUnless(recordsOfRow(rows[i]!))
        log.close()
        if (log.bytes > 0) yield* repo.store.updateJob(invocationId, spec.name, { log_bytes: log.bytes }).pipe(quietly(repo, { job: spec.name }))
      }
      const satisfiedSkips = new Set(specs.filter(isSatisfiedSkip).map((spec) => spec.name))
      const launched = yield* launchInvocation(deps, { repo, invocationId, request, jobs: toRun, satisfiedSkips })
      // Indexed before `supervise` runs: only it finalizes a job, which takes the job out again.
      for (const job of launched.jobs) {
        live.set(keyOf(repo.repoId, invocationId, job.name), job)
        here.add(repo.repoId, invocationId, job.name)
        byJobKey.add(job)
      }
      yield* FiberSet.run(invocations, launched.supervise)
      // The new runs wait (`after`) until the runs they replace are dead and final.
      if (supersede.length > 0) {
        yield* FiberSet.run(invocations, Effect.forEach(supersede, (job) => job.cancel("superseded", invocationId), { concurrency: "unbounded", discard: true }))
      }
      const logOf = new Map(specs.map((spec, i) => [spec.name, logs[i]!]))
      return { invocationId, jobs: rows.map((r) => ({ name: r.name, status: r.status })), live: launched.jobs, logs: logOf }
    }, (started) => startLock.withPermits(1)(started))

    const cancel = Effect.fn("JobRunner.cancel")(function* (repoId: string, invocationId: string, name: string, by: string) {
      const job = live.get(keyOf(repoId, invocationId, name))
      if (job === undefined) return { wasLive: false }
      const ended = yield* job.cancel(by)
      // A job that ended on its own just as the cancel arrived was not cancelled: do not count it.
      if (ended.status !== "cancelled") return { wasLive: false }
      return ended.killFailed !== undefined ? { wasLive: true, killFailed: ended.killFailed } : { wasLive: true }
    })

    const cancelEverything: JobRunnerService["cancelEverything"] = (by) =>
      Effect.forEach([...live.values()], (job) => job.cancel(by), { concurrency: "unbounded", discard: true })

    yield* Effect.addFinalizer(() => Effect.suspend(() => {
      stopping = true
      return cancelEverything("shutdown")
    }))

    return {
      start,
      cancel,
      live: (repoId, invocationId, name) => live.get(keyOf(repoId, invocationId, name)),
      liveJobs: () => [...live.values()],
      cancelEverything,
      pools: deps.pools
    } satisfies JobRunnerService
  })
)
