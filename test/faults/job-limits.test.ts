// Issue 14 item 7, per-job limits: `limits: {memory, cpu}` becomes memory.max / cpu.max of the job's
// cgroup when the memory and cpu controllers can be enabled for the job cgroups, and a job whose
// limits cannot be applied fails without running, with the reason. Real supervisors with
// HOOKD_CGROUP_ROOT set to a throwaway cgroup (root + cgroup2 only; skipped with a message
// otherwise). Where the cgroup2 mount lacks the controllers (the hybrid layout: memory and cpu belong
// to cgroup v1) the refusal is what is checked, and the limits part is skipped with a message.
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { follow, getJob, job, runJobs, start } from "../e2e/helpers"
import { makeGitRepo } from "../support/git"
import { makeSandbox, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { prepareRoot, removeTree } from "./cgroup-support"
import { figures } from "./support"

const prepared = prepareRoot()
const root = "root" in prepared ? prepared.root : ""
if ("skipped" in prepared) console.warn(`fault suite, job limits: skipped — ${prepared.skipped}`)
afterAll(() => {
  if (root !== "") removeTree(root)
})

/** The controllers the cgroup2 mount offers (memory and cpu are missing in the hybrid layout). */
const mountControllers = root === "" ? [] : readFileSync(join(dirname(root), "cgroup.controllers"), "utf8").split(/\s+/)
const withControllers = ["memory", "cpu"].every((c) => mountControllers.includes(c))
if (root !== "" && !withControllers) {
  console.warn(`fault suite, job limits: applying memory.max/cpu.max skipped — the cgroup2 mount offers only "${mountControllers.join(" ").trim()}"; the refusal is checked instead`)
}

describe.skipIf("skipped" in prepared)("fault: per-job limits under cgroup containment", () => {
  let sandbox: Sandbox
  let repo: string
  let hookd: RunningSupervisor

  beforeAll(async () => {
    sandbox = makeSandbox()
    repo = makeGitRepo(join(sandbox.dir, "repo"))
    hookd = await startSupervisor(sandbox, [], { HOOKD_CGROUP_ROOT: root })
  })
  afterAll(async () => {
    try {
      await hookd.stopCleanly()
    } finally {
      sandbox.cleanup()
    }
  })

  it.skipIf(withControllers)("without the controllers: a job with limits fails without running, saying why; one without runs", async () => {
    const marker = join(sandbox.dir, "ran")
    const invocationId = await start(sandbox.socket, runJobs(repo, [
      job("limited", `touch ${marker}`, { limits: { memory_bytes: 64 * 2 ** 20, cpu_percent: 50 } }),
      job("plain", "true")
    ]))
    const limited = await follow(sandbox.socket, repo, invocationId, "limited")
    expect(limited.records.at(-1)?.data).toEqual({ event: "finished", exit_code: 127 })
    const info = await getJob(sandbox.socket, repo, invocationId, "limited")
    expect(info.status).toBe("failed")
    expect(info.error).toMatch(/^limits\.memory needs the memory cgroup controller for the job cgroups: the memory controller is not available in /)
    expect(info.pid).toBeNull()
    await follow(sandbox.socket, repo, invocationId, "plain")
    expect((await getJob(sandbox.socket, repo, invocationId, "plain")).status).toBe("completed")
    expect(hookd.output()).toMatch(/"event":"containment".*"limits":"no memory: /)
  })

  it.skipIf(!withControllers)("memory.max and cpu.max are the job's; beyond memory.max the job ends out of memory, with the reason", async () => {
    const mount = dirname(root)
    const own = `${mount}$(sed -n 's/^0:://p' /proc/self/cgroup)`
    const show = job("show", `cat ${own}/memory.max ${own}/cpu.max`, { limits: { memory_bytes: 64 * 2 ** 20, cpu_percent: 50 } })
    const hog = job("hog", `${process.execPath} -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"`, { limits: { memory_bytes: 64 * 2 ** 20 } })
    const invocationId = await start(sandbox.socket, runJobs(repo, [show, hog]))
    const shown = await follow(sandbox.socket, repo, invocationId, "show")
    expect(shown.records.filter((r) => r.kind === "stdout").map((r) => r.data)).toEqual([String(64 * 2 ** 20), "50000 100000"])
    await follow(sandbox.socket, repo, invocationId, "hog")
    const info = await getJob(sandbox.socket, repo, invocationId, "hog")
    figures("job-limits", { status: info.status, exit_code: String(info.exit_code), signal: String(info.signal) })
    expect(info.status).toBe("failed")
    expect(info.error).toMatch(/^out of memory: the kernel killed \d+ process(es)? of the job at its memory limit \(limits\.memory 64 MiB\)$/)
  })
})
