// Retention through a real supervisor: backdated history is written with the store API before the
// supervisor starts; the start-up sweep heals an interrupted sweep, and Prune (dry and real) removes
// exactly what the policy says.
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { renameSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { repoDbPath, repoDir } from "../../src/protocol/paths"
import { identifyRepo } from "../../src/repos/identity"
import { DEFAULT_RETENTION_POLICY } from "../../src/retention/policy"
import { DELETING_PREFIX } from "../../src/retention/sweep"
import { openRepoStore } from "../../src/store/open"
import { makeGitRepo } from "../support/git"
import { HOOKCTL_BIN, makeSandbox, outputContains, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { DAY, hashTree, HOUR, invId, logEntries, logsDir, writeInvocations } from "../retention/fixture"
import { listJobs, payloadOf } from "./helpers"

let sandbox: Sandbox
let hookd: RunningSupervisor
let repo: string
let repoId: string
const NOW = Date.now()

const prune = async (payload: { dry_run: boolean; older_than_secs?: number }) => {
  const c = await TestClient.connect(sandbox.socket)
  try {
    return payloadOf(await c.request("Prune", { repo_root: repo, ...payload }), "Pruned")
  } finally {
    c.close()
  }
}

const storedInvocations = async () =>
  [...new Set((await listJobs(sandbox.socket, { repo_root: repo })).map((j) => j.invocation_id))].sort()

beforeAll(async () => {
  sandbox = makeSandbox()
  repo = makeGitRepo(join(sandbox.dir, "repo"))
  const identity = await Effect.runPromise(identifyRepo(repo))
  repoId = identity.repoId
  await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const store = yield* openRepoStore({ dbPath: repoDbPath(sandbox.stateDir, repoId), repoId, root: identity.root })
        // A long retention: the start-up sweep must not evict anything on its own; Prune's older_than does.
        yield* store.putPolicy({ ...DEFAULT_RETENTION_POLICY, retention_secs: 365 * 86400, keep_last: 1 })
        yield* writeInvocations(store, sandbox.stateDir, NOW, [
          { id: invId(1), worktree: repo, ago: 40 * DAY, jobs: [{ name: "build", bytes: 300 }] },
          { id: invId(2), worktree: repo, ago: 35 * DAY, jobs: [{ name: "lint", bytes: 50 }, { name: "test", bytes: 70 }] },
          { id: invId(3), worktree: repo, ago: HOUR, jobs: [{ name: "build" }] }, // newest of its worktree
          { id: invId(5), worktree: "/elsewhere", ago: 40 * DAY, jobs: [{ name: "build" }] }, // only one of its worktree
          { id: invId(7), worktree: repo, ago: 2 * HOUR, jobs: [{ name: "build" }] }
        ])
      })
    )
  )
  const logs = logsDir(sandbox.stateDir, repoId)
  // An earlier supervisor died mid-sweep twice: after deleting invocation 6's rows (its directory
  // is left), and after renaming invocation 7's directory (its rows are left).
  mkdirSync(join(logs, DELETING_PREFIX + invId(6), "build"), { recursive: true })
  renameSync(join(logs, invId(7)), join(logs, DELETING_PREFIX + invId(7)))

  hookd = await startSupervisor(sandbox)
  await outputContains(hookd, '"event":"retention_sweep"')
})
afterAll(async () => {
  await hookd?.stop()
  sandbox?.cleanup()
})

describe("retention through the supervisor", () => {
  it("the start-up sweep finishes an interrupted sweep: no .deleting-* left, no rows without logs", async () => {
    expect(logEntries(sandbox.stateDir, repoId)).toEqual([invId(1), invId(2), invId(3), invId(5)])
    expect(await storedInvocations()).toEqual([invId(1), invId(2), invId(3), invId(5)])
  })

  it("Prune dry_run lists what would go and leaves the db and log files byte-identical", async () => {
    const before = hashTree(repoDir(sandbox.stateDir, repoId))
    const dry = await prune({ dry_run: true, older_than_secs: 30 * 86400 })
    expect(hashTree(repoDir(sandbox.stateDir, repoId))).toEqual(before)
    expect(dry).toEqual({
      invocations: 2,
      jobs: 3,
      bytes: 420,
      dry_run: true,
      items: [
        { repo_id: repoId, invocation_id: invId(1), worktree: repo, reason: "older_than", jobs: 1, bytes: 300 },
        { repo_id: repoId, invocation_id: invId(2), worktree: repo, reason: "older_than", jobs: 2, bytes: 120 }
      ]
    })
  })

  it("Prune removes exactly those invocations, rows and directories, and Status reports it", async () => {
    const real = await prune({ dry_run: false, older_than_secs: 30 * 86400 })
    expect(real.dry_run).toBe(false)
    expect(real.items.map((i) => i.invocation_id)).toEqual([invId(1), invId(2)])
    expect(logEntries(sandbox.stateDir, repoId)).toEqual([invId(3), invId(5)])
    expect(await storedInvocations()).toEqual([invId(3), invId(5)])

    const c = await TestClient.connect(sandbox.socket)
    const status = payloadOf(await c.request("Status", {}), "SupervisorStatus")
    c.close()
    expect(status.last_sweep).toMatchObject({ invocations: 2, bytes: 420 })
  })

  it("hookctl ls ends with the last sweep and what it freed; nothing is left to prune", async () => {
    const hookctl = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [HOOKCTL_BIN, ...args], { cwd: repo, env: sandbox.env }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)
        )
      )
    const ls = await hookctl(["ls"])
    expect(ls.trimEnd().split("\n").at(-1)).toMatch(/^last sweep (just now|\d+s ago): freed 2 invocations, 420 B$/)
    const dry = await hookctl(["prune", "--dry-run", "--older-than", "30d"])
    expect(dry).toContain("would prune 0 invocations")
    expect((await prune({ dry_run: false, older_than_secs: 30 * 86400 })).items).toEqual([])
  })
})
