// Job limits (issue 14 item 7): where a job with `limits` may run, what its cgroup gets, and the
// refusal — the job fails without running — when hookd cannot apply them.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { cpuMaxValue, outOfMemoryReason } from "../../src/jobs/cgroup"
import { placeJob, type Containment } from "../../src/jobs/containment"
import { harnessLayer, job, recordsOf, sandbox, startJobs } from "../support/harness"

const processGroup: Containment = { kind: "process group", reason: "no writable cgroup v2 directory (hookd is not a systemd service)" }
const cgroups = (controllerProblems: Extract<Containment, { kind: "cgroup" }>["controllerProblems"] = {}): Containment => ({
  kind: "cgroup",
  base: "/sys/fs/cgroup/hookd/hookd-abc",
  source: "HOOKD_CGROUP_ROOT",
  controllerProblems
})

describe("placeJob", () => {
  it.each<[string, Containment, Parameters<typeof placeJob>[3], ReturnType<typeof placeJob>]>([
    ["no limits, process groups", processGroup, undefined, { _tag: "Placed" }],
    ["no limits, cgroups", cgroups(), undefined, { _tag: "Placed", cgroup: "/sys/fs/cgroup/hookd/hookd-abc/inv-2" }],
    ["empty limits, process groups", processGroup, {}, { _tag: "Placed" }],
    ["both limits, controllers there", cgroups(), { memory_bytes: 1024, cpu_percent: 50 }, { _tag: "Placed", cgroup: "/sys/fs/cgroup/hookd/hookd-abc/inv-2", limits: { memoryBytes: 1024, cpuPercent: 50 } }],
    ["cpu only while memory is missing", cgroups({ memory: "gone" }), { cpu_percent: 50 }, { _tag: "Placed", cgroup: "/sys/fs/cgroup/hookd/hookd-abc/inv-2", limits: { cpuPercent: 50 } }],
    [
      "memory under process groups",
      processGroup,
      { memory_bytes: 1024 },
      {
        _tag: "Refused",
        reason: "limits.memory need cgroup containment, and this hookd contains jobs by process group only (no writable cgroup v2 directory (hookd is not a systemd service)); run hookd as the user service (hookctl service install: Delegate=yes) or with HOOKD_CGROUP_ROOT, or remove the limits"
      }
    ],
    [
      "memory without the memory controller",
      cgroups({ memory: "the memory controller is not available in /x (cgroup.controllers: hugetlb)" }),
      { memory_bytes: 1024, cpu_percent: 10 },
      { _tag: "Refused", reason: "limits.memory needs the memory cgroup controller for the job cgroups: the memory controller is not available in /x (cgroup.controllers: hugetlb)" }
    ]
  ])("%s", (_name, containment, limits, expected) => {
    expect(placeJob(containment, "inv", 2, limits)).toEqual(expected)
  })
})

describe("cgroup values", () => {
  it.each([
    [50, "50000 100000"],
    [100, "100000 100000"],
    [250, "250000 100000"],
    [0.1, "1000 100000"],
    [12.5, "12500 100000"]
  ])("cpu %s%% → cpu.max %s", (percent, expected) => {
    expect(cpuMaxValue(percent)).toBe(expected)
  })

  it("the out-of-memory reason names the count and the limit", () => {
    expect(outOfMemoryReason(1, 64 * 2 ** 20)).toBe("out of memory: the kernel killed 1 process of the job at its memory limit (limits.memory 64 MiB)")
    expect(outOfMemoryReason(3, 1.5 * 2 ** 30)).toContain("killed 3 processes")
  })
})

describe("a job whose limits cannot be applied", () => {
  it.scopedLive("fails without running, with the reason; a job without limits in the same invocation runs", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const marker = join(box.dir, "ran")
        const started = yield* startJobs(box.repo, [
          job("limited", `touch ${marker}`, { limits: { memory_bytes: 64 * 2 ** 20 } }),
          job("plain", "true")
        ])
        const limited = yield* Deferred.await(started.liveJob("limited").done)
        expect((yield* Deferred.await(started.liveJob("plain").done)).status).toBe("completed")
        expect(limited.status).toBe("failed")
        expect(existsSync(marker)).toBe(false)
        const row = (yield* started.repo.store.jobsOfInvocation(started.invocationId)).find((r) => r.name === "limited")!
        expect(row.error).toMatch(/^limits\.memory need cgroup containment, and this hookd contains jobs by process group only \(.+\); run hookd as the user service/)
        expect(row.pid).toBeNull()
        expect(recordsOf(box.stateDir, started.liveJob("limited")).at(-1)?.data).toEqual({ event: "finished", exit_code: 127 })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
