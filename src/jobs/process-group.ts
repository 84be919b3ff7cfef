// Signalling a job's whole process group (SPEC §3 "Cancel and timeout"): TERM, grace, KILL.
import { readdirSync, readFileSync } from "node:fs"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { cgroupPopulated, killCgroup, signalCgroup } from "./cgroup"
import { KillFailed } from "./errors"
import { statFieldsAfterComm } from "./fingerprint"

const POLL_MS = 25
/** After SIGKILL a member can still be in uninterruptible sleep for a moment; wait at most this long. */
const AFTER_KILL_WAIT_MS = 2000

const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code

/** kill(-1) would signal every process we may signal and kill(-0) our own group: never a job's group. */
const isSignallableGroup = (pgid: number): boolean => Number.isInteger(pgid) && pgid > 1

/**
 * kill(-pgid, 0): true when any member exists, zombies included. Asked once per job as it ends,
 * when the group is usually gone: the ESRCH error is made without a stack trace (capturing one was
 * ~3 % of the supervisor's time in a burst of short jobs, issue 13).
 */
const groupExists = (pgid: number): boolean => {
  const traceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    process.kill(-pgid, 0)
    return true
  } catch (e) {
    // EPERM: members exist but belong to someone else.
    return errnoCode(e) === "EPERM"
  } finally {
    Error.stackTraceLimit = traceLimit
  }
}

/** True when some process of the group is alive: on Linux zombies do not count (init reaps them lazily). */
export const groupHasLiveMembers = (pgid: number): boolean => {
  if (!isSignallableGroup(pgid) || !groupExists(pgid)) return false
  if (process.platform !== "linux") return true
  let entries: ReadonlyArray<string>
  try {
    entries = readdirSync("/proc")
  } catch {
    return true
  }
  const wanted = String(pgid)
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8")
    } catch {
      continue // exited while we were scanning
    }
    const fields = statFieldsAfterComm(stat)
    // fields[0] = state (field 3), fields[2] = pgrp (field 5)
    if (fields && fields[2] === wanted && fields[0] !== "Z") return true
  }
  return false
}

type SignalOutcome = "sent" | "gone"

/**
 * kill(-pgid, signal), throwing like process.kill. A reference so that a test can stand in for a
 * kernel that refuses (EPERM): the tests run as root, which may signal every group.
 */
export class SignalGroup extends Context.Reference<SignalGroup>()("hookd/SignalGroup", {
  defaultValue: () => (pgid: number, signal: NodeJS.Signals): void => void process.kill(-pgid, signal)
}) {}

const signalGroup = (pgid: number, signal: NodeJS.Signals): Effect.Effect<SignalOutcome, KillFailed> =>
  Effect.flatMap(SignalGroup, (send) => {
    if (!isSignallableGroup(pgid)) {
      return Effect.fail(new KillFailed({ pgid, errno: undefined, message: `refusing to signal process group ${pgid}: not a job's group` }))
    }
    try {
      send(pgid, signal)
      return Effect.succeed<SignalOutcome>("sent")
    } catch (e) {
      if (errnoCode(e) === "ESRCH") return Effect.succeed<SignalOutcome>("gone")
      return Effect.fail(
        new KillFailed({ pgid, errno: errnoCode(e), message: `cannot send ${signal} to process group ${pgid}: ${(e as Error).message}` })
      )
    }
  })

/** A job's processes: its process group and, under cgroup containment, its cgroup. */
export interface KillTarget {
  readonly pgid: number
  readonly cgroup: string | undefined
}

/** Some process of the job is alive (zombies do not count). */
export const jobHasLiveProcesses = (target: KillTarget): boolean =>
  groupHasLiveMembers(target.pgid) || (target.cgroup !== undefined && cgroupPopulated(target.cgroup))

/**
 * Polls until the job has no live process or the deadline passes. An explicit Clock deadline
 * (not Effect.timeout) because this runs inside finalizers, which are uninterruptible.
 */
const waitUntilGone = (target: number | KillTarget, deadline: number): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const alive = typeof target === "number" ? () => groupHasLiveMembers(target) : () => jobHasLiveProcesses(target)
    while (alive()) {
      const now = yield* Clock.currentTimeMillis
      if (now >= deadline) return false
      yield* Effect.sleep(Math.min(POLL_MS, Math.max(1, deadline - now)))
    }
    return true
  })

/**
 * SIGTERM to the group, up to `graceMs` for it to go, then SIGKILL. A group that is already gone
 * (ESRCH) is a success; a group we may not signal (EPERM) is KillFailed.
 */
export const killGroup = (pgid: number, graceMs: number): Effect.Effect<{ escalated: boolean }, KillFailed> =>
  Effect.gen(function* () {
    if ((yield* signalGroup(pgid, "SIGTERM")) === "gone") return { escalated: false }
    const start = yield* Clock.currentTimeMillis
    if (yield* waitUntilGone(pgid, start + graceMs)) return { escalated: false }
    if ((yield* signalGroup(pgid, "SIGKILL")) === "gone") return { escalated: true }
    const killedAt = yield* Clock.currentTimeMillis
    if (!(yield* waitUntilGone(pgid, killedAt + AFTER_KILL_WAIT_MS))) {
      return yield* new KillFailed({ pgid, errno: undefined, message: `process group ${pgid} still has live members after SIGKILL` })
    }
    return { escalated: true }
  })

/**
 * killGroup for a job that may also have a cgroup. SIGTERM goes to the group and to every process
 * of the cgroup that left the group (setsid: a double-forked daemon); after `graceMs`, cgroup.kill
 * ends everything in the cgroup at once — a process cannot fork its way out of it.
 */
export const killJobProcesses = (target: KillTarget, graceMs: number): Effect.Effect<{ escalated: boolean }, KillFailed> =>
  Effect.gen(function* () {
    const cgroup = target.cgroup
    if (cgroup === undefined) return yield* killGroup(target.pgid, graceMs)
    yield* signalGroup(target.pgid, "SIGTERM")
    signalCgroup(cgroup, "SIGTERM", target.pgid)
    const start = yield* Clock.currentTimeMillis
    if (yield* waitUntilGone(target, start + graceMs)) return { escalated: false }
    yield* Effect.try({
      try: () => killCgroup(cgroup),
      catch: (e) => new KillFailed({ pgid: target.pgid, errno: errnoCode(e), message: `cannot kill the cgroup ${cgroup}: ${(e as Error).message}` })
    })
    yield* signalGroup(target.pgid, "SIGKILL")
    const killedAt = yield* Clock.currentTimeMillis
    if (!(yield* waitUntilGone(target, killedAt + AFTER_KILL_WAIT_MS))) {
      return yield* new KillFailed({ pgid: target.pgid, errno: undefined, message: `cgroup ${cgroup} still has live processes after cgroup.kill` })
    }
    return { escalated: true }
  })
