// How jobs are contained (issue 14 item 7): each in its own cgroup v2 child when hookd has a
// writable cgroup (a systemd service with Delegate=yes, or HOOKD_CGROUP_ROOT), else — as before —
// only by their process group. Decided once at start, logged once, reported by Status.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, realpathSync, statfsSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { chooseCgroupRoot } from "../domain/cgroup-root"
import { logInfo, logWarn } from "../logging/event-log"
import { Settings } from "../settings/settings"
import { removeCgroup, sweepCgroups } from "./cgroup"

/** statfs(2) f_type of cgroup2 (linux/magic.h). */
const CGROUP2_SUPER_MAGIC = 0x63677270

export type Containment =
  | {
      readonly kind: "cgroup"
      /** This state dir's directory of job cgroups: `<root>/hookd-<hash of the state dir>`. */
      readonly base: string
      readonly source: "HOOKD_CGROUP_ROOT" | "systemd delegation"
    }
  | { readonly kind: "process group"; readonly reason: string }

/** The default (tests, or a supervisor composed without detection) is today's process groups. */
export class JobContainment extends Context.Reference<JobContainment>()("hookd/JobContainment", {
  defaultValue: (): Containment => ({ kind: "process group", reason: "cgroup containment was not set up" })
}) {}

/** The job's cgroup: one per job of an invocation (names are unique within it, but may be long). */
export const jobCgroupPath = (containment: Containment, invocationId: string, index: number): string | undefined =>
  containment.kind === "cgroup" ? join(containment.base, `${invocationId}-${index}`) : undefined

const readOr = (path: string, fallback: string): string => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return fallback
  }
}

/**
 * One directory per state dir, so two supervisors (other state dirs) sharing a root never sweep
 * each other's jobs; named from the canonical path, like the singleton lock.
 */
const baseName = (stateDir: string): string => {
  let canonical = stateDir
  try {
    canonical = realpathSync(stateDir)
  } catch {
    // not created yet: the path as given
  }
  return `hookd-${createHash("sha256").update(canonical).digest("hex").slice(0, 12)}`
}

/**
 * Proves the root usable the way jobs will use it: creates the base directory and a probe cgroup,
 * and has a shell move itself into the probe (which needs write access to the common ancestor's
 * cgroup.procs, not only to the directory). The reason when it is not.
 */
const proveUsable = (base: string): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    const probe = join(base, `probe-${process.pid}`)
    try {
      // A plain directory would take the probe's pid as a file: it must be cgroupfs.
      if (statfsSync(dirname(base)).type !== CGROUP2_SUPER_MAGIC) return `${dirname(base)} is not a cgroup v2 directory`
      mkdirSync(base, { recursive: true })
      mkdirSync(probe, { recursive: true })
    } catch (e) {
      return `cannot create ${probe}: ${(e as Error).message}`
    }
    const moved = spawnSync("/bin/sh", ["-c", 'echo $$ > "$1"', "sh", join(probe, "cgroup.procs")], { encoding: "utf8", timeout: 10_000 })
    yield* Effect.ignore(removeCgroup(probe))
    if (moved.status === 0) return undefined
    return `a process cannot be moved into ${probe}: ${(moved.stderr || moved.error?.message || `exit ${moved.status}`).trim()}`
  })

export const detectContainment = (env: NodeJS.ProcessEnv, stateDir: string): Effect.Effect<Containment> =>
  Effect.gen(function* () {
    const choice = chooseCgroupRoot({
      configuredRoot: env.HOOKD_CGROUP_ROOT,
      mounts: readOr("/proc/self/mounts", ""),
      selfCgroup: readOr("/proc/self/cgroup", "")
    })
    if (choice._tag === "None") return { kind: "process group", reason: choice.reason } as const
    const base = join(choice.root, baseName(stateDir))
    const problem = yield* proveUsable(base)
    if (problem !== undefined) {
      const fix = choice.source === "HOOKD_CGROUP_ROOT" ? "point HOOKD_CGROUP_ROOT at a writable cgroup v2 directory" : "add Delegate=yes to hookd.service"
      return { kind: "process group", reason: `${problem} (${fix})` } as const
    }
    return { kind: "cgroup", base, source: choice.source } as const
  })

/**
 * Detects the containment, says once in the log which it is (and why not cgroups), ends the job
 * cgroups a previous supervisor of this state dir left behind, and removes the base directory at
 * shutdown (after the runner, which depends on this, has cancelled every job).
 */
export const JobContainmentLive = (env: NodeJS.ProcessEnv) =>
  Layer.scoped(
    JobContainment,
    Effect.gen(function* () {
      const settings = yield* Settings
      const containment: Containment = yield* detectContainment(env, settings.stateDir)
      if (containment.kind === "process group") {
        const log = env.HOOKD_CGROUP_ROOT ? logWarn : logInfo
        yield* log("containment", {
          kind: containment.kind,
          reason: containment.reason,
          effect: "a job process that calls setsid() can outlive its job's cancel or timeout"
        })
        return containment
      }
      yield* logInfo("containment", { kind: containment.kind, cgroups: containment.base, source: containment.source })
      const swept = yield* sweepCgroups(containment.base, settings.killGraceMs)
      if (swept.killed.length > 0 || swept.stuck.length > 0) {
        yield* logWarn("orphan_cgroups_killed", { killed: swept.killed.join(" "), stuck: swept.stuck.join(" ") })
      }
      yield* Effect.addFinalizer(() => Effect.ignore(removeCgroup(containment.base)))
      return containment
    })
  )
