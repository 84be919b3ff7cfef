// How jobs are contained (issue 14 item 7): each in its own cgroup v2 child when hookd has a
// writable cgroup (a systemd service with Delegate=yes, or HOOKD_CGROUP_ROOT), else — as before —
// only by their process group. Decided once at start, logged once, reported by Status.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, realpathSync, statfsSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { chooseCgroupRoot, SUPERVISOR_CGROUP } from "../domain/cgroup-root"
import { logInfo, logWarn } from "../logging/event-log"
import { Settings } from "../settings/settings"
import type { JobLimits } from "../protocol/types"
import { removeCgroup, sweepCgroups, type CgroupLimits } from "./cgroup"

/** statfs(2) f_type of cgroup2 (linux/magic.h). */
const CGROUP2_SUPER_MAGIC = 0x63677270

/** The cgroup controllers job `limits` need. */
export const LIMIT_CONTROLLERS = ["memory", "cpu"] as const
export type LimitController = (typeof LIMIT_CONTROLLERS)[number]

export type Containment =
  | {
      readonly kind: "cgroup"
      /** This state dir's directory of job cgroups: `<root>/hookd-<hash of the state dir>`. */
      readonly base: string
      readonly source: "HOOKD_CGROUP_ROOT" | "systemd delegation"
      /** Why a controller cannot serve the job cgroups (absent: it is enabled for them). */
      readonly controllerProblems?: Partial<Record<LimitController, string>>
      /** The controllers enabled for the job cgroups (whatever the root offers: memory, cpu, pids, hugetlb…). */
      readonly controllers?: ReadonlyArray<string>
      /** Where hookd moved its own processes out of a root it sat in (`<root>/supervisor`). */
      readonly supervisorCgroup?: string
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

/** Where a job runs, with the limits its cgroup gets — or why it cannot run with the limits it asks for. */
export type JobPlacement =
  | { readonly _tag: "Placed"; readonly cgroup?: string; readonly limits?: CgroupLimits }
  | { readonly _tag: "Refused"; readonly reason: string }

const LIMIT_KEYS: Record<LimitController, keyof JobLimits> = { memory: "memory_bytes", cpu: "cpu_percent" }

/**
 * The job's cgroup and limits. `limits` are never dropped silently: without cgroup containment, or
 * without the controller a limit needs, the job is refused (it fails without running) with the reason.
 */
export const placeJob = (containment: Containment, invocationId: string, index: number, limits: JobLimits | undefined): JobPlacement => {
  const cgroup = jobCgroupPath(containment, invocationId, index)
  const wanted = LIMIT_CONTROLLERS.filter((c) => limits?.[LIMIT_KEYS[c]] !== undefined)
  if (wanted.length === 0) return { _tag: "Placed", ...(cgroup !== undefined && { cgroup }) }
  const keys = wanted.map((c) => `limits.${c}`).join(" and ")
  if (containment.kind === "process group") {
    return {
      _tag: "Refused",
      reason: `${keys} need cgroup containment, and this hookd contains jobs by process group only (${containment.reason}); ` +
        `run hookd as the user service (hookctl service install: Delegate=yes) or with HOOKD_CGROUP_ROOT, or remove the limits`
    }
  }
  for (const controller of wanted) {
    const problem = containment.controllerProblems?.[controller]
    if (problem !== undefined) return { _tag: "Refused", reason: `limits.${controller} needs the ${controller} cgroup controller for the job cgroups: ${problem}` }
  }
  return {
    _tag: "Placed",
    cgroup,
    limits: {
      ...(limits?.memory_bytes !== undefined && { memoryBytes: limits.memory_bytes }),
      ...(limits?.cpu_percent !== undefined && { cpuPercent: limits.cpu_percent })
    }
  }
}

const words = (text: string): string[] => text.split(/\s+/).filter((w) => w !== "")

/** True when a cgroup v1 hierarchy holds `controller` (the hybrid layout): cgroup v2 cannot have it then. */
const boundToV1 = (controller: string, mounts: string): boolean =>
  mounts.split("\n").some((line) => {
    const [, , type, options] = line.split(" ")
    return type === "cgroup" && (options ?? "").split(",").includes(controller)
  })

/** Enables `controller` for the children of `cgroup`; why it cannot be, or undefined. */
const enableFor = (cgroup: string, controller: string, mounts: string): string | undefined => {
  if (words(readOr(join(cgroup, "cgroup.subtree_control"), "")).includes(controller)) return undefined
  const available = words(readOr(join(cgroup, "cgroup.controllers"), ""))
  if (!available.includes(controller)) {
    const v1 = boundToV1(controller, mounts) ? `; on this machine it belongs to a cgroup v1 hierarchy (hybrid layout)` : ""
    return `the ${controller} controller is not available in ${cgroup} (cgroup.controllers: ${available.join(" ") || "none"})${v1}`
  }
  try {
    writeFileSync(join(cgroup, "cgroup.subtree_control"), `+${controller}`)
    return undefined
  } catch (e) {
    const busy = (e as NodeJS.ErrnoException).code === "EBUSY"
      ? " — a cgroup with processes of its own cannot hand controllers to its children (cgroup v2's no-internal-processes rule)"
      : ""
    return `cannot enable the ${controller} controller in ${join(cgroup, "cgroup.subtree_control")}: ${(e as Error).message}${busy}`
  }
}

const isLimitController = (controller: string): controller is LimitController => (LIMIT_CONTROLLERS as ReadonlyArray<string>).includes(controller)

/**
 * Enables, from the root down to the base, the limit controllers and every other controller the
 * root offers (systemd delegates them all with Delegate=yes); what the job cgroups got, and why
 * each limit controller could not be had.
 */
const enableControllers = (base: string, mounts: string) => {
  const root = dirname(base)
  const controllerProblems: Partial<Record<LimitController, string>> = {}
  for (const controller of new Set([...LIMIT_CONTROLLERS, ...words(readOr(join(root, "cgroup.controllers"), ""))])) {
    const problem = enableFor(root, controller, mounts) ?? enableFor(base, controller, mounts)
    if (problem !== undefined && isLimitController(controller)) controllerProblems[controller] = problem
  }
  return { controllerProblems, controllers: words(readOr(join(base, "cgroup.subtree_control"), "")) }
}

/**
 * Moves every process of `root` — hookd itself, and whatever else systemd started in the service's
 * cgroup — into `<root>/supervisor`: only a cgroup without processes of its own can hand
 * controllers to its children (the job cgroups). Where it went, or why it could not.
 */
const leaveRoot = (root: string): { readonly moved: string } | { readonly problem: string } => {
  const leaf = join(root, SUPERVISOR_CGROUP)
  try {
    mkdirSync(leaf, { recursive: true })
  } catch (e) {
    return { problem: `cannot create ${leaf}: ${(e as Error).message}` }
  }
  // A few rounds: a process forked meanwhile is born in the root.
  for (let round = 0; round < 5; round++) {
    const pids = words(readOr(join(root, "cgroup.procs"), ""))
    if (pids.length === 0) return { moved: leaf }
    for (const pid of pids) {
      try {
        writeFileSync(join(leaf, "cgroup.procs"), pid)
      } catch (e) {
        // One that exited meanwhile is gone anyway.
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") return { problem: `cannot move pid ${pid} into ${leaf}: ${(e as Error).message}` }
      }
    }
  }
  return { problem: `processes keep appearing in ${root}: ${words(readOr(join(root, "cgroup.procs"), "")).join(" ")}` }
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
    const mounts = readOr("/proc/self/mounts", "")
    const choice = chooseCgroupRoot({
      configuredRoot: env.HOOKD_CGROUP_ROOT,
      mounts,
      selfCgroup: readOr("/proc/self/cgroup", "")
    })
    if (choice._tag === "None") return { kind: "process group", reason: choice.reason } as const
    const base = join(choice.root, baseName(stateDir))
    const problem = yield* proveUsable(base)
    if (problem !== undefined) {
      const fix = choice.source === "HOOKD_CGROUP_ROOT" ? "point HOOKD_CGROUP_ROOT at a writable cgroup v2 directory" : "add Delegate=yes to hookd.service"
      return { kind: "process group", reason: `${problem} (${fix})` } as const
    }
    // Proven usable first: a root hookd may not use is never rearranged. A failed move leaves the
    // processes where they were; the controllers' EBUSY then says why limits are unavailable.
    const left = choice.leaveRoot ? leaveRoot(choice.root) : undefined
    if (left !== undefined && "problem" in left) yield* logWarn("cgroup_leave_root_failed", { root: choice.root, error: left.problem })
    return {
      kind: "cgroup",
      base,
      source: choice.source,
      ...enableControllers(base, mounts),
      ...(left !== undefined && "moved" in left && { supervisorCgroup: left.moved })
    } as const
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
      const problems = Object.entries(containment.controllerProblems ?? {})
      yield* logInfo("containment", {
        kind: containment.kind,
        cgroups: containment.base,
        source: containment.source,
        ...(containment.supervisorCgroup !== undefined && { supervisor: containment.supervisorCgroup }),
        controllers: (containment.controllers ?? []).join(" ") || "none",
        limits: problems.length === 0 ? "memory and cpu" : problems.map(([c, why]) => `no ${c}: ${why}`).join("; ")
      })
      const swept = yield* sweepCgroups(containment.base, settings.killGraceMs)
      if (swept.killed.length > 0 || swept.stuck.length > 0) {
        yield* logWarn("orphan_cgroups_killed", { killed: swept.killed.join(" "), stuck: swept.stuck.join(" ") })
      }
      yield* Effect.addFinalizer(() => Effect.ignore(removeCgroup(containment.base)))
      return containment
    })
  )
