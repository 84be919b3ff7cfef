// Issue 14 item 7, under the systemd user service (Delegate=yes): systemd starts hookd inside the
// service's own cgroup, and cgroup v2's no-internal-processes rule keeps a cgroup with processes
// from handing controllers to its children — so per-job `limits` were refused. hookd now moves
// its processes into <own cgroup>/supervisor at start and enables the controllers the cgroup
// offers for the job cgroups. Mirrored with a throwaway tree (root + cgroup2 only; skipped with a
// message otherwise): <mount>/hookd-test-…/hookd-faults.service, with the supervisor's process put
// in it before node starts (as systemd does), HOOKD_CGROUP_ROOT unset — hookd finds the delegated
// cgroup from /proc/self/cgroup itself. On a cgroup2 tree without memory/cpu (this machine's hybrid
// layout offers hugetlb only) the move and the subtree_control write of what is offered are
// checked, and memory.max/cpu.max are skipped with a message.
import { appendFileSync, mkdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { follow, job, payloadOf, runJobs, start } from "../e2e/helpers"
import { makeGitRepo } from "../support/git"
import { HOOKD_BUNDLE, makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { prepareRoot, removeTree, subdirs } from "./cgroup-support"
import { figures } from "./support"

const words = (path: string): string[] => readFileSync(path, "utf8").split(/\s+/).filter((w) => w !== "")

const prepared = prepareRoot()
const root = "root" in prepared ? prepared.root : ""
if ("skipped" in prepared) console.warn(`fault suite, cgroup delegation: skipped — ${prepared.skipped}`)

/**
 * The controllers the mount offers, passed down to the throwaway tree (as systemd passes them to a
 * delegated service). The mount root's own subtree_control is changed only for what it lacked, and
 * put back afterwards.
 */
const mount = root === "" ? "" : dirname(root)
const offered = root === "" ? [] : words(join(mount, "cgroup.controllers"))
const addedAtMount: string[] = []
const passDown = () => {
  for (const c of offered) {
    if (!words(join(mount, "cgroup.subtree_control")).includes(c)) {
      appendFileSync(join(mount, "cgroup.subtree_control"), `+${c}`)
      addedAtMount.push(c)
    }
    appendFileSync(join(root, "cgroup.subtree_control"), `+${c}`)
  }
}
const withLimits = ["memory", "cpu"].every((c) => offered.includes(c))
if (root !== "" && !withLimits) {
  console.warn(`fault suite, cgroup delegation: memory.max/cpu.max for a job skipped — the cgroup2 mount offers only "${offered.join(" ")}"; the move and the subtree_control write of that are checked`)
}

afterAll(() => {
  if (root === "") return
  removeTree(root)
  for (const c of addedAtMount) {
    try {
      appendFileSync(join(mount, "cgroup.subtree_control"), `-${c}`)
    } catch {
      // another cgroup below the mount uses it now: leave it enabled
    }
  }
})

const ownCgroupOf = (pid: number): string =>
  readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.startsWith("0::"))!.slice(3)

describe.skipIf("skipped" in prepared)("fault: hookd under a systemd service's delegated cgroup (Delegate=yes)", () => {
  let sandbox: Sandbox
  let repo: string
  let hookd: RunningSupervisor
  let service: string

  beforeAll(async () => {
    passDown()
    service = join(root, "hookd-faults.service")
    mkdirSync(service)
    sandbox = makeSandbox()
    repo = makeGitRepo(join(sandbox.dir, "repo"))
    hookd = await startSupervisor(sandbox, [], { HOOKD_CGROUP_ROOT: "" }, undefined, HOOKD_BUNDLE, service)
  })
  afterAll(async () => {
    try {
      await hookd?.stopCleanly()
    } finally {
      sandbox?.cleanup()
    }
  })

  it("hookd moves itself into <service>/supervisor and enables what the service's cgroup offers for the job cgroups; a job runs below", async () => {
    const relative = service.slice(mount.length)
    // hookd (and the spawner it started) left the service's cgroup: it has no processes of its own.
    expect(ownCgroupOf(hookd.pid)).toBe(`${relative}/supervisor`)
    expect(words(join(service, "cgroup.procs"))).toEqual([])
    expect(words(join(service, "supervisor", "cgroup.procs"))).toContain(String(hookd.pid))
    // The controllers the service got are handed on: to hookd-<hash>, and by it to the job cgroups.
    const delegated = words(join(service, "cgroup.controllers"))
    expect(delegated.sort()).toEqual([...offered].sort())
    const [base] = subdirs(service).filter((d) => d.startsWith("hookd-"))
    expect(base).toBeDefined()
    expect(words(join(service, "cgroup.subtree_control")).sort()).toEqual([...delegated].sort())
    expect(words(join(service, base!, "cgroup.subtree_control")).sort()).toEqual([...delegated].sort())
    expect(hookd.output()).toMatch(new RegExp(`"event":"containment".*"source":"systemd delegation".*"supervisor":"${service}/supervisor".*"controllers":"${delegated.join(" ") || "none"}"`))
    figures("cgroup-delegation", { supervisor: `${relative}/supervisor`, controllers: delegated.join(" ") || "none" })

    const c = await TestClient.connect(sandbox.socket)
    try {
      expect(payloadOf(await c.request("Status", {}), "SupervisorStatus").containment).toBe("cgroup")
    } finally {
      c.close()
    }
    const invocationId = await start(sandbox.socket, runJobs(repo, [job("where", "sed -n 's/^0:://p' /proc/self/cgroup")]))
    const { records } = await follow(sandbox.socket, repo, invocationId, "where")
    expect(records.filter((r) => r.kind === "stdout").map((r) => r.data)).toEqual([`${relative}/${base}/${invocationId}-0`])
  })

  it.skipIf(!withLimits)("with memory and cpu delegated: a job's limits are applied (before, they were refused: EBUSY)", async () => {
    const own = `${mount}$(sed -n 's/^0:://p' /proc/self/cgroup)`
    const invocationId = await start(sandbox.socket, runJobs(repo, [job("show", `cat ${own}/memory.max ${own}/cpu.max`, { limits: { memory_bytes: 64 * 2 ** 20, cpu_percent: 50 } })]))
    const { records } = await follow(sandbox.socket, repo, invocationId, "show")
    expect(records.filter((r) => r.kind === "stdout").map((r) => r.data)).toEqual([String(64 * 2 ** 20), "50000 100000"])
  })
})
