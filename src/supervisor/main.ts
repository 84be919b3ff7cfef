// hookd: the per-user supervisor. Takes the singleton lock, serves the socket, opens and reconciles
// each repository on first use (and all of them in the background), and shuts down gracefully (SPEC §7).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Data, Deferred, Effect, Exit, Layer, Scope } from "effect"
import { mkdirSync } from "node:fs"
import { supervisorLogPath } from "../protocol/paths"
import { makeDispatcher } from "./dispatch"
import { logError, logInfo, logWarn, makeLogWriter, SupervisorLoggerLive } from "../logging/event-log"
import { watchIdle } from "./idle-exit"
import { collectWhenIdle } from "./idle-gc"
import { JobContainmentLive } from "../jobs/containment"
import { JobRunner, JobRunnerLive } from "../jobs/runner"
import { RunningHereLive } from "../jobs/running-here"
import { ConfigParse } from "../config/parse-off-thread"
import { Lifecycle, LifecycleLive } from "../lifecycle/lifecycle"
import { ReconcileOnOpen } from "./reconcile"
import { RepoRegistry, RepoRegistryLive } from "../repos/registry"
import { Retention, RetentionLive, retentionSweeps } from "../retention/service"
import { HOOKD_USAGE, layerSettings, readSettings, Settings, UsageError, type SupervisorSettings } from "../settings/settings"
import { acquireSingleton } from "./singleton"
import { takeActivationFd } from "./socket-activation"
import { prepareSocketPath } from "./socket-path"
import { serve, type ListenTarget, type ServerHandle } from "./socket-server"
import { StoreLive } from "../store/service"
import { startSpool, staleAfterFromEnv } from "../spool/intake"
import { startRun } from "./handlers/run-jobs"
import { toProtocolError } from "./errors"
import { HOOKD_VERSION } from "./version"
import { endStartUp, saveCodeCache } from "./code-cache-log"
import { codeCacheLink } from "./code-cache"
import { sweepStaleSpawnerDirs } from "../jobs/spawner"
import { firstStageLink, type FirstStageLink } from "./first-stage-link"
import { takeCleanStopMarker, writeCleanStopMarker } from "./clean-stop"
import { sqliteLoaded } from "../store/connection"

class StateDirUnusable extends Data.TaggedError("StateDirUnusable")<{ readonly message: string }> {}

/** HOOKD_FRAME_DEADLINE_MS (milliseconds, a positive integer) overrides the 10 s whole-frame deadline. */
const frameDeadlineFromEnv = (raw: string | undefined): { frameDeadlineMs?: number } =>
  raw !== undefined && /^[1-9][0-9]*$/.test(raw) ? { frameDeadlineMs: Number(raw) } : {}

/**
 * The ordered shutdown (SPEC §7), whatever started it — a signal interrupting the main fiber, a
 * Shutdown request or idle exit: new requests answer BUSY, stop accepting, cancel every job, let
 * open tails and waited runs write their final StreamEnd; then the scope closes the rest.
 */
const stopInOrder = (server: ServerHandle) =>
  Effect.gen(function* () {
    const lifecycle = yield* Lifecycle
    const runner = yield* JobRunner
    yield* lifecycle.requestShutdown("interrupted")
    const reason = yield* Deferred.await(lifecycle.shutdown)
    yield* logInfo("stopping", { reason, running: runner.liveJobs().length })
    yield* server.stopAccepting
    yield* runner.cancelEverything("shutdown")
    yield* lifecycle.awaitRequestsDone(1000)
  })

/** How long the start-up work (opening, reconciling, sweeping) waits for the first request to be answered. */
const START_WORK_DELAY = "100 millis"

/** Everything that needs the singleton: reconcile, then serving until shutdown. */
const serveUntilShutdown = (
  activationFd: number | undefined,
  firstStage: FirstStageLink | undefined,
  afterCleanStop: boolean,
  sweptAt: number | undefined,
  stop: StopVerdict
) =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const lifecycle = yield* Lifecycle
    const registry = yield* RepoRegistry
    const retention = yield* Retention
    stop.sweptAt = retention.lastFullSweepAt

    // The first request or spooled (or waited) hook run: the start-up-only V8 flags end then (below).
    const firstWork = yield* Deferred.make<void>()
    const working = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.zipRight(Deferred.succeed(firstWork, undefined), lifecycle.track(effect))

    // Fire-and-forget shims' requests (src/spool/): started before the socket, so the scan at start
    // already runs what was spooled while no supervisor was up.
    const staleAfter = staleAfterFromEnv(process.env.HOOKD_SPOOL_STALE_AFTER)
    if (staleAfter.problem !== undefined) yield* logWarn("bad_setting", { message: staleAfter.problem })
    const { handler, answerNow } = yield* makeDispatcher
    const spool = yield* startSpool({
      stateDir: settings.stateDir,
      staleAfterMs: staleAfter.ms,
      stopping: Deferred.await(lifecycle.shutdown),
      submit: (request, skipAll) =>
        working(startRun(request, { skipAll, takeNotices: false })).pipe(
          Effect.map(({ started }) => started.invocationId),
          Effect.mapError((e) => ({ message: toProtocolError(e).message }))
        ),
      // Wait shims' requests: the RunJobs{wait:true} run-hook would send, through the same handler.
      socketPath: settings.socketPath,
      track: lifecycle.track,
      waited: (payload, reply, connection) => working(handler({ v: 1, req: "RunJobs", payload }, reply, connection))
    })

    let listen: ListenTarget
    if (firstStage !== undefined) {
      // Bound (or taken from systemd) by the loader's first stage, which answered Hellos meanwhile.
      listen = { _tag: "Claimed", describe: activationFd !== undefined ? `fd ${activationFd}` : settings.socketPath, claim: firstStage.claim }
    } else if (activationFd !== undefined) {
      listen = { _tag: "Fd", fd: activationFd }
    } else {
      yield* prepareSocketPath(settings.socketPath)
      listen = { _tag: "Path", path: settings.socketPath }
    }
    const firstAnswered = yield* Deferred.make<void>()
    const server = yield* serve({
      listen,
      // Requests spooled before this one are started first: `git checkout && hookctl ls` shows the
      // checkout's jobs, and hook runs keep git's order whichever path they took.
      handler: (request, reply, connection) =>
        working(SPOOL_FIRST.has(request.req) ? Effect.zipRight(spool.drain, handler(request, reply, connection)) : handler(request, reply, connection)).pipe(
          Effect.ensuring(Deferred.succeed(firstAnswered, undefined))
        ),
      answerNow: (request) => {
        const answer = answerNow(request)
        if (answer !== undefined) Deferred.unsafeDone(firstAnswered, Exit.void)
        return answer
      },
      isDraining: lifecycle.isDraining,
      ...frameDeadlineFromEnv(process.env.HOOKD_FRAME_DEADLINE_MS),
      onInternalError: (cause) => logError("internal_error", { cause: Cause.pretty(cause) })
    })
    // The first stage's Welcomes were first answers too: the start-up work need not wait for one.
    if (firstStage !== undefined && firstStage.answered() > 0) yield* Deferred.succeed(firstAnswered, undefined)
    yield* lifecycle.countConnectionsWith(server.connectionCount)
    yield* spool.announce
    // Runs before the server's own finalizers (they run in reverse order).
    yield* Effect.addFinalizer(() => stopInOrder(server))
    const socket = activationFd !== undefined ? `fd ${activationFd} (socket activation)` : settings.socketPath
    yield* logInfo("serving", { socket })
    // Served first: the client that started us (a hook, hookctl) is answered before any start-up
    // work, which waits for that first answer (at most START_WORK_DELAY). Then, in the background,
    // every repository is opened — and so reconciled: a job a killed supervisor left running is
    // marked crashed within moments, not only at its repo's first use — and "started" says the
    // start-up is complete; then retention sweeps once (SPEC §9) and hourly, until shutdown.
    // After a clean stop (clean-stop.ts) nothing was left running: no repository is opened now —
    // each is opened (and reconciled) on first use — and retention first sweeps an hour after start.
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* Deferred.await(firstAnswered).pipe(Effect.timeout(START_WORK_DELAY), Effect.ignore)
        let opened = 0
        if (!afterCleanStop) {
          const all = yield* registry.openAll
          opened = all.repos.length
          // Done once every repository was reconciled and the start sweep ran: a stop before that
          // (or with a repository the pass could not open) leaves no marker, so the next start tries again.
          if (all.unavailable.length === 0) stop.startPassDone = retention.startDone
        }
        yield* logInfo("started", {
          version: settings.version,
          state_dir: settings.stateDir,
          socket,
          repos: opened,
          start_pass: afterCleanStop ? "skipped (clean stop)" : "opened all",
          sqlite_loaded: sqliteLoaded(),
          max_parallel: settings.maxParallel,
          max_foreground: settings.maxForeground,
          code_cache: codeCacheLink()?.status ?? "none"
        })
        yield* saveCodeCache
        // Jobs and requests run with V8's optimizing compilers; an idle supervisor that has only
        // started never needed them (code-cache.ts START_UP_FLAGS).
        yield* Effect.forkScoped(Effect.zipRight(Deferred.await(firstWork), endStartUp))
        const swept = yield* Effect.promise(() => sweepStaleSpawnerDirs())
        if (swept.length > 0) yield* logInfo("stale_spawner_dirs_removed", { removed: swept })
        yield* retentionSweeps({ afterCleanStop, ...(sweptAt !== undefined && { sweptAt }) })
      })
    )
    if (settings.idleExitMs !== undefined) yield* Effect.forkScoped(watchIdle(settings.idleExitMs))
    yield* Effect.forkScoped(collectWhenIdle)
    yield* Deferred.await(lifecycle.shutdown)
  }).pipe(Effect.scoped)

const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const

/** Every request but the handshake, status and shutdown sees the spool drained first. */
const SPOOL_FIRST: ReadonlySet<string> = new Set(["RunJobs", "ListJobs", "GetJob", "CancelJob", "CancelAll", "CancelMatching", "TailLogs", "Retry", "Prune"])

/**
 * runMain interrupts the main fiber on SIGTERM and SIGINT; SIGHUP (its terminal closed) stops it
 * the same way. Listening to all three until exit also names the signal in the "stopping" line,
 * and keeps a repeated signal from killing the supervisor in the middle of its bounded teardown.
 */
const stopOnSignals = (firstStage: FirstStageLink | undefined) =>
  Effect.withFiberRuntime<void, never, Lifecycle | Scope.Scope>((main) =>
    Effect.flatMap(Lifecycle, (lifecycle) => {
      const onSignal = (signal: NodeJS.Signals) => {
        Deferred.unsafeDone(lifecycle.shutdown, Exit.succeed(signal))
        main.unsafeInterruptAsFork(main.id())
      }
      return Effect.acquireRelease(
        Effect.sync(() => {
          SIGNALS.forEach((signal) => process.on(signal, onSignal))
          // A signal the first stage caught while the bundle loaded stops us now, the same way.
          const early = firstStage?.takeSignal()
          if (early !== undefined) onSignal(early)
        }),
        () => Effect.sync(() => SIGNALS.forEach((signal) => process.off(signal, onSignal)))
      )
    })
  )

/** What the stop found: a clean-stop marker is written only when every job's row ended terminal. */
interface StopVerdict {
  /** The start-up pass (open and reconcile every repository, the start sweep) is complete, or was not needed. */
  startPassDone: () => boolean
  /** When retention last swept every repository (retention's own record, inherited after a clean stop). */
  sweptAt: () => number | undefined
  /** Set by CleanStopCheck once the runner is done, before the stores close: undefined = never checked. */
  unsettled: ReadonlyArray<string> | undefined
}

/**
 * Released after the runner (every job cancelled and finalized) and before the registry closes the
 * stores: records which open repositories still hold a row that is not terminal (a job's end that
 * could not be written), or are damaged. Any → no marker, and the next start reconciles everything.
 */
const cleanStopCheck = (stop: StopVerdict) =>
  Layer.scopedDiscard(
    Effect.flatMap(RepoRegistry, (registry) =>
      Effect.addFinalizer(() =>
        Effect.gen(function* () {
          const unsettled: string[] = [...registry.damaged()]
          for (const repo of registry.opened()) {
            const left = yield* repo.store.nonTerminalJobs().pipe(Effect.map((rows) => rows.length), Effect.orElseSucceed(() => -1))
            if (left !== 0) unsettled.push(repo.repoId)
          }
          stop.unsettled = unsettled
        })
      )
    )
  )

// Built only after the singleton is held: opening databases clears stale lock dirs, and the job
// containment sweeps the cgroups a previous supervisor left (before any job starts; its directory
// is removed after the runner has cancelled every job).
const servingLive = (stop: StopVerdict) => RetentionLive.pipe(
  Layer.provideMerge(JobRunnerLive),
  Layer.provideMerge(cleanStopCheck(stop)),
  Layer.provideMerge(RepoRegistryLive),
  Layer.provideMerge(ReconcileOnOpen),
  Layer.provideMerge(JobContainmentLive(process.env)),
  Layer.provideMerge(StoreLive),
  // One index for the runner (it keeps it) and reconcile on a reopened database (it reads it).
  Layer.provideMerge(RunningHereLive),
  // A config parse says where it runs (a big file: in a worker thread) and how big it is.
  Layer.provideMerge(Layer.succeed(ConfigParse, { parsing: (fields) => logInfo("config_parse", fields) }))
)

/** After a graceful stop with every row terminal and every store closed: the marker (clean-stop.ts). */
const leaveCleanStopMarker = (settings: SupervisorSettings, exit: Exit.Exit<unknown, unknown>, stop: StopVerdict) =>
  Effect.suspend(() => {
    if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) return Effect.void
    const sweptAt = stop.sweptAt()
    if (stop.unsettled === undefined || stop.unsettled.length > 0 || !stop.startPassDone() || sweptAt === undefined) {
      return logInfo("clean_stop_marker_skipped", { unsettled: stop.unsettled ?? "not checked", start_pass_done: stop.startPassDone(), swept_at: sweptAt ?? "never" })
    }
    return Effect.try(() => writeCleanStopMarker(settings.stateDir, { stopped_at: Date.now(), pid: process.pid, version: settings.version, swept_at: sweptAt })).pipe(
      Effect.zipRight(logInfo("clean_stop_marker_written", {})),
      Effect.catchAll((e) => logWarn("clean_stop_marker_failed", { error: String((e.error as Error)?.message ?? e) }))
    )
  })

const runSupervisor = (settings: SupervisorSettings, firstStage: FirstStageLink | undefined) =>
  Effect.gen(function* () {
    // The first stage holds the singleton (and maybe the socket): released when we stop, as acquireSingleton's would be.
    if (firstStage !== undefined) yield* Effect.addFinalizer(() => Effect.sync(firstStage.release))
    yield* stopOnSignals(firstStage)
    yield* Effect.try({
      try: () => mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 }),
      catch: (e) =>
        new StateDirUnusable({ message: `cannot create the state directory ${settings.stateDir}: ${(e as Error).message} (set HOOKD_STATE_DIR to move it)` })
    })
    // Derived from the canonical state dir: /x and a symlink to /x are one supervisor (issue 14 item 2).
    const single = firstStage !== undefined ? ({ _tag: "Acquired" } as const) : yield* acquireSingleton({ stateDir: settings.stateDir })
    if (single._tag === "AlreadyRunning") {
      process.stdout.write(`hookd: already running${single.pid !== undefined ? ` (pid ${single.pid})` : ""}\n`)
      return
    }
    // Taken (and removed from the environment) before any job could inherit the variables.
    const activationFd = firstStage !== undefined ? firstStage.activationFd : takeActivationFd(process.env)
    // Taken (read and removed) first: a crash of this run leaves none.
    const marker = takeCleanStopMarker(settings.stateDir)
    yield* logInfo("clean_stop_marker", marker._tag === "Valid" ? { found: "valid", stopped_at: marker.marker.stopped_at, pid: marker.marker.pid, version: marker.marker.version, swept_at: marker.marker.swept_at ?? "unknown" } : marker._tag === "Absent" ? { found: "none" } : { found: "invalid", reason: marker.reason })
    const afterCleanStop = marker._tag === "Valid"
    const stop: StopVerdict = { startPassDone: () => afterCleanStop, sweptAt: () => undefined, unsettled: undefined }
    const sweptAt = marker._tag === "Valid" ? marker.marker.swept_at : undefined
    yield* serveUntilShutdown(activationFd, firstStage, afterCleanStop, sweptAt, stop).pipe(
      Effect.provide(servingLive(stop)),
      Effect.onExit((exit) => leaveCleanStopMarker(settings, exit, stop)),
      Effect.ensuring(logInfo("stopped"))
    )
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.merge(layerSettings(settings), LifecycleLive)),
    // Outermost, so every finalizer and every forked fiber logs through it.
    Effect.provide(SupervisorLoggerLive(supervisorLogPath(settings.stateDir), settings.journal))
  )

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") {
    const e = failure.value as { message?: unknown; _tag?: unknown }
    return typeof e.message === "string" && e.message !== "" ? e.message : String(e._tag ?? e)
  }
  return "internal error"
}

/** process.exit drops pending pipe writes: flush stdout and stderr first. */
const exitAfterFlush = (code: number): void => {
  let pending = 2
  const done = () => --pending === 0 && process.exit(code)
  process.stdout.write("", done)
  process.stderr.write("", done)
}

/** File only: a stack trace is for the log, never for the terminal. */
const logToFile = (settings: SupervisorSettings, event: string, fields: Record<string, unknown>) => {
  try {
    makeLogWriter(supervisorLogPath(settings.stateDir), "none")("error", event, fields)
  } catch {
    // the log may be what failed
  }
}

/** Success and a signal's interruption exit 0; a failure prints its message (never a stack trace) and exits 1. */
const exitCodeTeardown =
  (settings: SupervisorSettings): Teardown =>
  (exit) => {
    if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
      process.stderr.write(`hookd: ${describeFailure(exit.cause)}\n`)
      logToFile(settings, "fatal", { cause: Cause.pretty(exit.cause) })
      return exitAfterFlush(1)
    }
    exitAfterFlush(0)
  }

const main = () => {
  const argv = process.argv.slice(2)
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HOOKD_USAGE + "\n")
    return
  }
  if (argv.includes("--version")) {
    process.stdout.write(`hookd ${HOOKD_VERSION}\n`)
    return
  }
  // Read already by the loader's first stage, when it ran (its Welcomes named their start time).
  const firstStage = firstStageLink()
  firstStage?.adopt()
  let settings: SupervisorSettings
  try {
    settings = firstStage?.settings ?? readSettings(argv, process.env, HOOKD_VERSION)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    process.stderr.write(`hookd: ${e.message}\n${HOOKD_USAGE}\n`)
    process.exit(2)
  }
  // A bug that escapes every fiber must still end cleanly: the trace to the log file, a line to the
  // user, and exit 1 (the store's exit hook closes the databases, so no stale lock dir is left).
  const die = (what: string) => (error: unknown) => {
    logToFile(settings, what, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
    process.stderr.write(`hookd: internal error (${what}); see ${supervisorLogPath(settings.stateDir)}\n`)
    exitAfterFlush(1)
  }
  process.on("uncaughtException", die("uncaught_exception"))
  process.on("unhandledRejection", die("unhandled_rejection"))
  NodeRuntime.runMain(runSupervisor(settings, firstStage), {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: exitCodeTeardown(settings)
  })
}

main()
