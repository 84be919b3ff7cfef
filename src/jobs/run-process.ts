// Runs one job's command as the leader of its own process group (SPEC §3 "Spawning", "Cancel and
// timeout"). The process is a scoped resource: its release kills the group, so interrupting the
// fiber is cancelling the job, and no process of the job outlives runProcess.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, statSync } from "node:fs"
import { join } from "node:path"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { fingerprintFromStat, processFingerprint } from "./fingerprint"
import { readLines, type LineReader } from "./lines"
import { sourceOfReadable, type OutputSource } from "./output-source"
import type { KillFailed, LogWriteFailed } from "./errors"
import { applyCgroupLimits, oomKills, outOfMemoryReason, removeCgroup, type CgroupLimits } from "./cgroup"
import { logWarn } from "../logging/event-log"
import type { LaunchError, Spawner } from "./spawner"
import { jobHasLiveProcesses, killJobProcesses, type KillTarget } from "./process-group"

export interface ProcessSpec {
  readonly command: string
  readonly cwd: string
  /** The complete environment of the job; nothing of the supervisor's is added. */
  readonly env: Readonly<Record<string, string>>
  readonly stdin?: string
  /** 0 = no timeout. */
  readonly timeoutMs: number
  readonly graceMs: number
  /**
   * The job's own cgroup (created here, removed when the job ends), under cgroup containment; the
   * job then cannot escape a cancel or timeout by setsid(). Undefined: its process group only.
   */
  readonly cgroup?: string
  /** Written into the job's cgroup before the job enters it (only with `cgroup`). */
  readonly limits?: CgroupLimits
}

/** `outOfMemory`: the reason, when the kernel's OOM killer ended processes of the job at its limits.memory. */
export type ProcessResult =
  | { readonly _tag: "Exited"; readonly code: number; readonly outOfMemory?: string }
  | { readonly _tag: "Signaled"; readonly signal: string; readonly outOfMemory?: string }
  | { readonly _tag: "TimedOut"; readonly afterMs: number }

export interface ProcessSink {
  /** Runs uninterruptibly, before any output reaches the sink; the group is killed if it fails. */
  onSpawned(info: { pid: number; pgid: number; fingerprint: string | undefined }): Effect.Effect<void>
  /**
   * Called synchronously per batch of output lines (their bytes joined by "\n", lines.ts), in order
   * per stream; the buffer is valid only during the call (it may be the reused read buffer,
   * output-source.ts). Must not throw.
   */
  onOutput(kind: "stdout" | "stderr", lines: Buffer): void
  /** Called once when an interruption starts killing the group (before SIGTERM). */
  onCancelling(): Effect.Effect<void>
  /**
   * Called when an interruption could not kill the group. An interrupted fiber has no error
   * channel, so the failure is handed over here, as a value, for the job's finalizer to report.
   */
  onKillFailed(failure: KillFailed): Effect.Effect<void>
  /**
   * Registers `stop`, which ends the process early with that failure (its group is killed, as for
   * any failure): the job's log could not be written. Returns the unregistration.
   */
  stopOn?(stop: (failure: LogWriteFailed) => void): () => void
}

export class SpawnFailed extends Data.TaggedError("SpawnFailed")<{
  readonly command: string
  readonly cwd: string
  readonly message: string
}> {}

/** How long the pipes may take to deliver their last bytes once the leader has exited. */
const DRAIN_MS = 200

type LeaderExit =
  | { readonly _tag: "Exited"; readonly code: number }
  | { readonly _tag: "Signaled"; readonly signal: string }
  /** The spawner process died before the leader: its exit status is unknown. */
  | { readonly _tag: "Lost" }

/** The job's leader as a launcher started it: its pid (== pgid), output streams and exit. */
export interface Leader {
  readonly pid: number
  /** Known at launch (the spawner reads it); otherwise read here. */
  readonly fingerprint?: string
  readonly stdout: OutputSource
  readonly stderr: OutputSource
  readonly exit: Promise<LeaderExit>
  /** Closes whatever of the leader's streams is still open here. */
  readonly destroy: () => void
}

export class LeaderLost extends Data.TaggedError("LeaderLost")<{ readonly message: string }> {}

interface RunningGroup {
  readonly leader: Leader
  readonly pgid: number
  readonly target: KillTarget
  readers: ReadonlyArray<LineReader>
  /** How many of the readers have not ended yet; `drained` is called when none is left (drainPipes). */
  open: number
  drained: (() => void) | undefined
  /** The body drained and closed the pipes and found no process of the job left: nothing for the release to do. */
  finished: boolean
  /** While the body waits for the leader (waitForLeader): drops its timer and stop; the release calls it. */
  stopWaiting: (() => void) | undefined
}

/** The job's working directory must be a directory: the failure, or undefined (no Effect per job, issue 13). */
const cwdProblem = (spec: ProcessSpec): SpawnFailed | undefined => {
  let problem: string | undefined
  try {
    if (!statSync(spec.cwd).isDirectory()) problem = `working directory ${spec.cwd} is not a directory`
  } catch (e) {
    problem = `working directory ${spec.cwd} does not exist or cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`
  }
  return problem === undefined ? undefined : new SpawnFailed({ command: spec.command, cwd: spec.cwd, message: problem })
}

/** Why a synchronous spawn failure happened, in words that point at the fix. */
const spawnThrewMessage = (cause: unknown): string => {
  const error = cause as NodeJS.ErrnoException
  if (error?.code === "E2BIG") {
    return "the command and environment are too large to start (E2BIG: Linux allows 128 KiB per argument or " +
      "variable): a {staged_files} list of many files does this; pipe the file names to xargs instead"
  }
  return error instanceof Error ? error.message : String(cause)
}

/**
 * The shell moves itself into the job's cgroup before it runs anything of the job: no process of
 * the job ever runs outside it, and no extra exec (the job's command follows on the same line, so
 * the shell's error messages keep their line numbers). A failed move fails the job (exit 125)
 * rather than running it uncontained.
 */
const enterCgroup = (cgroup: string): string => `echo $$ >'${join(cgroup, "cgroup.procs").replaceAll("'", "'\\''")}' || exit 125; `

const createCgroup = (spec: ProcessSpec & { readonly cgroup: string }): Effect.Effect<void, SpawnFailed> =>
  Effect.try({
    try: () => void mkdirSync(spec.cgroup),
    catch: (e) => new SpawnFailed({ command: spec.command, cwd: spec.cwd, message: `cannot create the job's cgroup ${spec.cgroup}: ${(e as Error).message}` })
  }).pipe(
    Effect.zipRight(
      spec.limits === undefined
        ? Effect.void
        : Effect.try({
            try: () => applyCgroupLimits(spec.cgroup, spec.limits!),
            catch: (e) => new SpawnFailed({ command: spec.command, cwd: spec.cwd, message: `cannot apply the job's limits: ${(e as Error).message}` })
          })
    )
  )

/** The result, with the reason when the OOM killer ended processes of a job that has limits.memory. */
const withOutOfMemory = (spec: ProcessSpec, result: ProcessResult): ProcessResult => {
  const memory = spec.limits?.memoryBytes
  if (spec.cgroup === undefined || memory === undefined || result._tag === "TimedOut") return result
  const kills = oomKills(spec.cgroup)
  return kills > 0 ? { ...result, outOfMemory: outOfMemoryReason(kills, memory) } : result
}

/** After the group's release has killed everything; a cgroup left behind is swept at the next start. */
const removeJobCgroup = (cgroup: string): Effect.Effect<void> =>
  removeCgroup(cgroup).pipe(Effect.catchAll((e) => logWarn("job_cgroup_not_removed", { cgroup, error: e.message })))

/** The shell command line: the job's command, after moving into its cgroup when it has one. */
const shellScript = (spec: ProcessSpec): string => (spec.cgroup === undefined ? spec.command : enterCgroup(spec.cgroup) + spec.command)

/** Starts `sh -c` in this process: the fallback, and what direct runProcess tests use. */
const spawnInProcess = (spec: ProcessSpec): Effect.Effect<Leader, SpawnFailed> =>
  Effect.async<Leader, SpawnFailed>((resume) => {
    let exited!: (end: LeaderExit) => void
    const exit = new Promise<LeaderExit>((resolve) => (exited = resolve))
    let child: ChildProcess
    try {
      // Absolute path: the job's env may have no PATH. detached = setsid(): pgid == pid.
      child = spawn("/bin/sh", ["-c", shellScript(spec)], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true
      })
    } catch (cause) {
      // spawn throws (instead of emitting "error") for E2BIG and for NUL bytes in the command or env.
      resume(Effect.fail(new SpawnFailed({ command: spec.command, cwd: spec.cwd, message: spawnThrewMessage(cause) })))
      return
    }
    child.once("error", (cause) =>
      resume(Effect.fail(new SpawnFailed({ command: spec.command, cwd: spec.cwd, message: cause.message })))
    )
    child.once("exit", (code, signal) => exited(code !== null ? { _tag: "Exited", code } : { _tag: "Signaled", signal: signal ?? "SIGKILL" }))
    child.once("spawn", () => {
      child.stdin!.on("error", () => {}) // EPIPE when the job does not read its stdin
      child.stdin!.end(spec.stdin ?? "")
      resume(Effect.succeed({
        pid: child.pid!,
        stdout: sourceOfReadable(child.stdout!),
        stderr: sourceOfReadable(child.stderr!),
        exit,
        destroy: () => {
          child.stdin?.destroy()
          child.stdout?.destroy()
          child.stderr?.destroy()
        }
      }))
    })
  })

/** Starts `sh -c` through the spawner process (spawner.ts): the supervisor never forks itself. */
export const spawnWithSpawner = (spawner: Spawner) => (spec: ProcessSpec): Effect.Effect<Leader, SpawnFailed> =>
  Effect.async<Leader, SpawnFailed>((resume) => {
    spawner
      .launch({ script: shellScript(spec), cwd: spec.cwd, env: spec.env, ...(spec.stdin ? { stdin: spec.stdin } : {}) })
      .then(
        (launched) => {
          const fingerprint = launched.stat !== undefined ? fingerprintFromStat(launched.stat) : undefined
          resume(Effect.succeed({
            pid: launched.pid,
            ...(fingerprint !== undefined ? { fingerprint } : {}),
            stdout: launched.stdout,
            stderr: launched.stderr,
            exit: launched.exit,
            destroy: () => {
              launched.stdout.destroy()
              launched.stderr.destroy()
            }
          }))
        },
        (e: LaunchError) =>
          resume(Effect.fail(new SpawnFailed({ command: spec.command, cwd: spec.cwd, message: e.code === "E2BIG" ? spawnThrewMessage(e) : e.message })))
      )
  })

/**
 * How a job's leader is started: in this process by default; the runner provides the spawner
 * process (spawnWithSpawner), so a supervisor grown large does not pay for fork() per job.
 */
export class LaunchLeader extends Context.Reference<LaunchLeader>()("hookd/LaunchLeader", {
  defaultValue: () => spawnInProcess
}) {}

const spawnLeader = (spec: ProcessSpec, launch?: LaunchLeader["Type"]): Effect.Effect<RunningGroup, SpawnFailed> =>
  Effect.map(launch !== undefined ? launch(spec) : Effect.flatMap(LaunchLeader, (launcher) => launcher(spec)), (leader) => ({
    leader,
    pgid: leader.pid,
    target: { pgid: leader.pid, cgroup: spec.cgroup },
    readers: [],
    open: 0,
    drained: undefined,
    finished: false,
    stopWaiting: undefined
  }))

/**
 * Waits until both pipes have ended, at most `ms`; a plain timer, so it also works in finalizers.
 * Nothing to wait for (the common case: a job's pipes end with it) is no wait and no timer.
 */
const drainPipes = (group: RunningGroup, ms: number): Effect.Effect<void> =>
  Effect.suspend(() =>
    group.open === 0
      ? Effect.void
      : Effect.async<void>((resume) => {
          const timer = setTimeout(() => {
            group.drained = undefined
            resume(Effect.void)
          }, ms)
          group.drained = () => {
            clearTimeout(timer)
            group.drained = undefined
            resume(Effect.void)
          }
          return Effect.sync(() => {
            clearTimeout(timer)
            group.drained = undefined
          })
        })
  )

/** Starts reading the leader's pipes into the sink, counting those still open (drainPipes). */
const startReading = (group: RunningGroup, sink: ProcessSink): void => {
  const ended = () => {
    if (--group.open === 0) group.drained?.()
  }
  group.open = 2
  group.readers = [
    readLines(group.leader.stdout, (lines) => sink.onOutput("stdout", lines)),
    readLines(group.leader.stderr, (lines) => sink.onOutput("stderr", lines))
  ]
  for (const reader of group.readers) void reader.done.then(ended)
}

const closePipesNow = (group: RunningGroup): void => {
  for (const reader of group.readers) reader.close()
  group.leader.destroy()
}

const closePipes = (group: RunningGroup): Effect.Effect<void> => Effect.sync(() => closePipesNow(group))

/**
 * The release: on interruption the job is being cancelled (tell the sink, then TERM/grace/KILL, and
 * a KillFailed goes to the sink). Otherwise the body has already killed stragglers (and reported a KillFailed as its typed error);
 * this is only the safety net for a body that failed half-way.
 */
const releaseGroup = (group: RunningGroup, exit: Exit.Exit<unknown, unknown>, sink: ProcessSink, graceMs: number) =>
  group.finished && Exit.isSuccess(exit) ? Effect.void : Effect.gen(function* () {
    group.stopWaiting?.()
    if (Exit.isInterrupted(exit)) {
      yield* sink.onCancelling()
      yield* killJobProcesses(group.target, graceMs).pipe(Effect.catchAll((failure) => sink.onKillFailed(failure)))
    } else if (jobHasLiveProcesses(group.target)) {
      yield* Effect.ignore(killJobProcesses(group.target, graceMs))
    }
    yield* drainPipes(group, DRAIN_MS)
    yield* closePipes(group)
  })

/** What ended the wait for the leader: its exit, the job's timeout, or a stop (sink.stopOn). */
type Waited =
  | { readonly _tag: "Ended"; readonly end: LeaderExit }
  | { readonly _tag: "TimedOut" }
  | { readonly _tag: "Stopped"; readonly failure: LogWriteFailed }

/**
 * Waits for the first of the leader's exit, the timeout and a stop, with one callback each: no
 * racing fibers per job (issue 13: a burst of short jobs spent its time in the fiber runtime).
 * Interrupting the wait (a cancel) leaves the timer and the stop to the release (releaseGroup calls
 * group.stopWaiting): an async with a canceler costs an onExit mask per job.
 */
const waitForLeader = (group: RunningGroup, spec: ProcessSpec, sink: ProcessSink): Effect.Effect<Waited> =>
  Effect.async<Waited>((resume) => {
    let settled = false
    let timer: NodeJS.Timeout | undefined
    let unregister: (() => void) | undefined
    const forget = () => {
      settled = true
      group.stopWaiting = undefined
      if (timer !== undefined) clearTimeout(timer)
      unregister?.()
    }
    const settle = (waited: Waited) => {
      if (settled) return
      forget()
      resume(Effect.succeed(waited))
    }
    void group.leader.exit.then((end) => settle({ _tag: "Ended", end }))
    if (spec.timeoutMs > 0) timer = setTimeout(() => settle({ _tag: "TimedOut" }), spec.timeoutMs)
    const off = sink.stopOn?.((failure) => settle({ _tag: "Stopped", failure }))
    if (settled) off?.()
    else {
      unregister = off
      group.stopWaiting = forget
    }
  })

const awaitLeaderOrTimeout = (group: RunningGroup, spec: ProcessSpec, sink: ProcessSink): Effect.Effect<ProcessResult, KillFailed | LeaderLost | LogWriteFailed> =>
  Effect.flatMap(waitForLeader(group, spec, sink), (waited): Effect.Effect<ProcessResult, KillFailed | LeaderLost | LogWriteFailed> => {
    switch (waited._tag) {
      case "Ended":
        return waited.end._tag === "Lost"
          ? Effect.fail(new LeaderLost({ message: "the spawner process exited while the job ran: its exit status is unknown" }))
          : Effect.succeed(waited.end)
      case "TimedOut":
        return killJobProcesses(group.target, spec.graceMs).pipe(Effect.as<ProcessResult>({ _tag: "TimedOut", afterMs: spec.timeoutMs }))
      case "Stopped":
        return Effect.fail(waited.failure)
    }
  })

/**
 * Runs `sh -c <command>` to completion. Interruption kills the whole group (and completes only when
 * it is dead); a timeout kills it and returns TimedOut; a leader that exits leaving background
 * children gets them killed before runProcess returns.
 */
export const runProcess = (
  spec: ProcessSpec,
  sink: ProcessSink,
  /** How the leader is started; without it, the LaunchLeader of the context (in this process by default). */
  launch?: LaunchLeader["Type"]
): Effect.Effect<ProcessResult, SpawnFailed | KillFailed | LeaderLost | LogWriteFailed> =>
  Effect.suspend(() => {
    const problem = cwdProblem(spec)
    if (problem !== undefined) return Effect.fail(problem)
    const cgroup = spec.cgroup
    // The group's release runs before the cgroup's (as a scope's finalizers would: last in, first out).
    const run = runLeader(spec, sink, launch)
    return cgroup === undefined ? run : Effect.acquireUseRelease(createCgroup({ ...spec, cgroup }), () => run, () => removeJobCgroup(cgroup))
  })

/**
 * The leader as a resource: spawned and announced (onSpawned) uninterruptibly, waited for
 * interruptibly, released (releaseGroup) however that ends — acquireUseRelease's semantics in one
 * mask, and no release step at all for a job that ended on its own (issue 13: Effect steps per job).
 */
const runLeader = (spec: ProcessSpec, sink: ProcessSink, launch: LaunchLeader["Type"] | undefined) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(spawnLeader(spec, launch), (group) => {
      const release = (exit: Exit.Exit<unknown, unknown>) => releaseGroup(group, exit, sink, spec.graceMs)
      const running = Effect.zipRight(
        sink.onSpawned({ pid: group.pgid, pgid: group.pgid, fingerprint: group.leader.fingerprint ?? processFingerprint(group.pgid) }),
        restore(Effect.suspend(() => {
          // Start reading only now, so no line reaches the sink before onSpawned (the pipes buffer meanwhile).
          startReading(group, sink)
          return Effect.flatMap(awaitLeaderOrTimeout(group, spec, sink), (result) =>
            Effect.zipRight(drainPipes(group, DRAIN_MS), Effect.suspend(() => {
              closePipesNow(group)
              const ended = Effect.sync(() => {
                group.finished = true
                return withOutOfMemory(spec, result)
              })
              // Background children the leader left behind must not survive the job (typed error here, not a defect).
              return jobHasLiveProcesses(group.target) ? Effect.zipRight(killJobProcesses(group.target, spec.graceMs), ended) : ended
            }))
          )
        }))
      )
      return Effect.matchCauseEffect(running, {
        // As acquireUseRelease: a release that fails too adds its cause after the body's.
        onFailure: (cause) =>
          Effect.matchCauseEffect(release(Exit.failCause(cause)), {
            onFailure: (released) => Effect.failCause(Cause.sequential(cause, released)),
            onSuccess: () => Effect.failCause(cause)
          }),
        onSuccess: (result) => (group.finished ? Effect.succeed(result) : Effect.as(release(Exit.succeed(result)), result))
      })
    })
  )
