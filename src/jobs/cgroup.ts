// cgroup v2 containment of jobs (issue 14 item 7). A process group cannot hold a process that
// calls setsid() (a double-forked daemon leaves it); a cgroup can: every descendant of a process
// stays in its cgroup whatever it does with sessions, and the kernel kills them all at once
// (cgroup.kill). Plain filesystem operations on cgroupfs; the Effect parts only wait and retry.
import { readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { statFieldsAfterComm } from "./fingerprint"

const POLL_MS = 25
/** How long rmdir is retried while the kernel still counts the cgroup's last processes as members. */
const REMOVE_WAIT_MS = 2000
/** After cgroup.kill a member can still be in uninterruptible sleep for a moment. */
const AFTER_KILL_WAIT_MS = 2000

const errnoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code

/** The pids in the cgroup (not its children's); zombies are not listed. [] when it is gone. */
export const cgroupPids = (cgroup: string): number[] => {
  let text: string
  try {
    text = readFileSync(join(cgroup, "cgroup.procs"), "utf8")
  } catch {
    return []
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map(Number)
}

/**
 * True while any live process is in the cgroup or below it. `populated` in cgroup.events covers
 * the subtree and ignores zombies (an orphan's zombie may never be reaped where PID 1 does not).
 */
export const cgroupPopulated = (cgroup: string): boolean => {
  try {
    return /^populated 1$/m.test(readFileSync(join(cgroup, "cgroup.events"), "utf8"))
  } catch {
    return false
  }
}

const processGroupOf = (pid: number): string | undefined => {
  try {
    return statFieldsAfterComm(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[2]
  } catch {
    return undefined
  }
}

/**
 * Sends `signal` to every process of the cgroup, except those of process group `exceptPgid` (they
 * got it through the group already: a second SIGTERM means "quit now" to some programs). Best
 * effort: a process that exits meanwhile is simply gone.
 */
export const signalCgroup = (cgroup: string, signal: NodeJS.Signals, exceptPgid?: number): void => {
  for (const pid of cgroupPids(cgroup)) {
    if (exceptPgid !== undefined && processGroupOf(pid) === String(exceptPgid)) continue
    try {
      process.kill(pid, signal)
    } catch {
      // ESRCH: it exited; EPERM cannot happen for our own descendants
    }
  }
}

/**
 * SIGKILL to every process of the cgroup at once (cgroup.kill, Linux 5.14+). Older kernels have no
 * cgroup.kill: SIGKILL each listed pid, repeatedly, since a process may fork while we read the list.
 */
export const killCgroup = (cgroup: string): void => {
  try {
    writeFileSync(join(cgroup, "cgroup.kill"), "1")
    return
  } catch (e) {
    if (errnoCode(e) !== "ENOENT" && errnoCode(e) !== "EACCES" && errnoCode(e) !== "EINVAL") throw e
  }
  for (let round = 0; round < 10; round++) {
    const pids = cgroupPids(cgroup)
    if (pids.length === 0) return
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL")
      } catch {
        // gone already
      }
    }
  }
}

/** Polls until the cgroup has no live process or the deadline passes (a Clock deadline: finalizers are uninterruptible). */
export const waitUntilEmpty = (cgroup: string, deadline: number): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    while (cgroupPopulated(cgroup)) {
      const now = yield* Clock.currentTimeMillis
      if (now >= deadline) return false
      yield* Effect.sleep(Math.min(POLL_MS, Math.max(1, deadline - now)))
    }
    return true
  })

/** cgroup.kill, then wait for the kernel to finish; false if something outlived it. */
export const killCgroupAndWait = (cgroup: string): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    yield* Effect.sync(() => killCgroup(cgroup))
    return yield* waitUntilEmpty(cgroup, (yield* Clock.currentTimeMillis) + AFTER_KILL_WAIT_MS)
  })

/**
 * rmdir, retried while the kernel still reports the cgroup busy (its last processes are exiting).
 * Succeeds when the directory is gone (also when it never existed); the error when it stays.
 */
export const removeCgroup = (cgroup: string): Effect.Effect<void, Error> =>
  Effect.gen(function* () {
    const deadline = (yield* Clock.currentTimeMillis) + REMOVE_WAIT_MS
    for (;;) {
      try {
        rmdirSync(cgroup)
        return
      } catch (e) {
        if (errnoCode(e) === "ENOENT") return
        if (errnoCode(e) !== "EBUSY" || (yield* Clock.currentTimeMillis) >= deadline) {
          return yield* Effect.fail(new Error(`cannot remove the job's cgroup ${cgroup}: ${(e as Error).message}`))
        }
      }
      yield* Effect.sleep(POLL_MS)
    }
  })

/** The job cgroups under `base` (directories; cgroupfs has no other kind). */
export const childCgroups = (base: string): string[] => {
  try {
    return readdirSync(base, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(base, entry.name))
  } catch {
    return []
  }
}

/**
 * Ends every job cgroup under `base` that a previous supervisor of this state dir left behind (it
 * crashed or was killed): SIGTERM to all their processes, `graceMs` for them to go, then
 * cgroup.kill, then rmdir. Returns the cgroups that had live processes, and those that stayed.
 */
export const sweepCgroups = (base: string, graceMs: number): Effect.Effect<{ readonly killed: string[]; readonly stuck: string[] }> =>
  Effect.gen(function* () {
    const leftovers = childCgroups(base)
    const killed = leftovers.filter(cgroupPopulated)
    for (const cgroup of killed) signalCgroup(cgroup, "SIGTERM")
    const deadline = (yield* Clock.currentTimeMillis) + graceMs
    const stuck: string[] = []
    for (const cgroup of leftovers) {
      const empty = (yield* waitUntilEmpty(cgroup, deadline)) || (yield* killCgroupAndWait(cgroup))
      const removed = yield* Effect.either(removeCgroup(cgroup))
      if (!empty || removed._tag === "Left") stuck.push(cgroup)
    }
    return { killed, stuck }
  })

/** What a job's `limits` become in its cgroup (issue 14 item 7). */
export interface CgroupLimits {
  readonly memoryBytes?: number
  /** A share of one CPU: 50 = half a CPU, 200 = two. */
  readonly cpuPercent?: number
}

/** cpu.max's period (the kernel's default); the quota is the share of it the job may run. */
const CPU_PERIOD_US = 100_000

/** `cpu.max` for a share of one CPU: `50` → "50000 100000" (at least 1 ms per period, the kernel's minimum). */
export const cpuMaxValue = (cpuPercent: number): string =>
  `${Math.max(1000, Math.round((cpuPercent / 100) * CPU_PERIOD_US))} ${CPU_PERIOD_US}`

/**
 * Writes the limits into a freshly created job cgroup, before any process enters it. memory.max
 * is a hard limit: swap may not extend it (memory.swap.max 0, where the kernel has swap accounting).
 * Throws with the file that refused.
 */
export const applyCgroupLimits = (cgroup: string, limits: CgroupLimits): void => {
  const write = (file: string, value: string) => {
    try {
      writeFileSync(join(cgroup, file), value)
    } catch (e) {
      throw new Error(`cannot set ${file} of ${cgroup} to ${value}: ${(e as Error).message}`)
    }
  }
  if (limits.memoryBytes !== undefined) {
    write("memory.max", String(limits.memoryBytes))
    try {
      writeFileSync(join(cgroup, "memory.swap.max"), "0")
    } catch {
      // no swap accounting (or no swap): memory.max alone is the limit
    }
  }
  if (limits.cpuPercent !== undefined) write("cpu.max", cpuMaxValue(limits.cpuPercent))
}

/** How many processes of the cgroup the kernel's OOM killer ended (memory.events `oom_kill`); 0 when unknown. */
export const oomKills = (cgroup: string): number => {
  try {
    const match = /^oom_kill (\d+)$/m.exec(readFileSync(join(cgroup, "memory.events"), "utf8"))
    return match === null ? 0 : Number(match[1])
  } catch {
    return 0
  }
}

const mebibytes = (bytes: number): string => `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`

/** The reason a job gets when the OOM killer ended some of its processes at its memory limit. */
export const outOfMemoryReason = (kills: number, memoryBytes: number): string =>
  `out of memory: the kernel killed ${kills} process${kills === 1 ? "" : "es"} of the job at its memory limit ` +
  `(limits.memory ${mebibytes(memoryBytes)})`
