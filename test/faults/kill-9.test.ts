// Fault: the supervisor is killed with SIGKILL while jobs run and submissions stream in. After
// each restart no accepted job is missing, none is left queued/running, no process of a killed
// job survives, and the database passes integrity_check. Figures: accepted, missing, left
// running, survivors, integrity. Short form: 2 rounds of 8 running jobs; HOOKD_FAULTS=full:
// 5 rounds of 50 (the original fault run).
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { repoDbPath } from "../../src/protocol/paths"
import { identifyRepo } from "../../src/repos/identity"
import { Effect } from "effect"
import { makeGitRepo } from "../support/git"
import { makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { job, listJobs, payloadOf, runJobs, start } from "../e2e/helpers"
import { figures, integrityCheck, liveInGroup, scale } from "./support"

const ROUNDS = scale(2, 5)
const RUNNING = scale(8, 50)
/** Submissions accepted before the kill, per round (they keep coming while it lands). */
const STREAMED = scale(15, 150)

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

/** Asks Status until `n` jobs run (each ask is a round trip; nothing sleeps). */
const untilRunning = async (socket: string, n: number) => {
  const c = await TestClient.connect(socket)
  try {
    for (;;) if (payloadOf(await c.request("Status", {}), "SupervisorStatus").running >= n) return
  } finally {
    c.close()
  }
}

/** Submits one-job invocations until `stop()`; returns the ids of those accepted. */
const submitUntil = async (socket: string, repo: string, stop: () => boolean, onAccepted: () => void): Promise<string[]> => {
  const accepted: string[] = []
  let c: TestClient | undefined
  try {
    c = await TestClient.connect(socket)
    for (let i = 0; !stop(); i++) {
      const answer = await c.request("RunJobs", runJobs(repo, [job(`quick-${i}`, "echo hi")]))
      if (answer.kind !== "RunAccepted") continue
      accepted.push(answer.payload.invocation_id)
      onAccepted()
    }
  } catch {
    // the supervisor died under us: that is the point
  } finally {
    c?.close()
  }
  return accepted
}

describe("fault: kill -9 under load", () => {
  it(`${ROUNDS} rounds of SIGKILL with ${RUNNING} running jobs and a stream of submissions lose nothing accepted`, async () => {
    const box = (sandbox = makeSandbox({ HOOKD_MAX_PARALLEL: String(RUNNING + 8), HOOKD_KILL_GRACE_MS: "500" }))
    const repo = makeGitRepo(join(box.dir, "repo"))
    const accepted: string[] = []
    const totals = { accepted: 0, missing: 0, leftRunning: 0, survivors: 0, crashed: 0 }
    let integrity = "not checked"
    let hookd: RunningSupervisor | undefined

    /** After a restart: every accepted invocation is there, all terminal, no process of theirs alive. */
    const verify = async (socket: string) => {
      const jobs: JobInfo[] = await listJobs(socket, { repo_root: repo })
      const seen = new Set(jobs.map((j) => j.invocation_id))
      const missing = accepted.filter((id) => !seen.has(id))
      const leftRunning = jobs.filter((j) => ["queued", "running", "cancelling"].includes(j.status))
      const survivors = jobs.flatMap((j) => (j.pid !== null && j.status === "crashed" ? liveInGroup(j.pid) : []))
      totals.missing += missing.length
      totals.leftRunning += leftRunning.length
      totals.survivors += survivors.length
      totals.crashed = jobs.filter((j) => j.status === "crashed").length
      expect(missing, "accepted invocations missing after the restart").toEqual([])
      expect(leftRunning.map((j) => `${j.name}:${j.status}`)).toEqual([])
      expect(survivors, "processes of killed jobs still alive").toEqual([])
    }

    try {
      for (let round = 0; round < ROUNDS; round++) {
        hookd = await startSupervisor(box)
        if (round > 0) await verify(box.socket)
        const long = Array.from({ length: RUNNING }, (_, i) => job(`long-${i}`, "sleep 600"))
        accepted.push(await start(box.socket, runJobs(repo, long)))
        await untilRunning(box.socket, RUNNING)
        let count = 0
        let killed = false
        const victim = hookd
        const stream = submitUntil(box.socket, repo, () => killed, () => {
          if (++count === STREAMED && !killed) {
            killed = true
            victim.proc.kill("SIGKILL")
          }
        })
        accepted.push(...(await stream))
        await victim.exited
      }
      hookd = await startSupervisor(box)
      await verify(box.socket)
      await hookd.stopCleanly()
      hookd = undefined
      const dbPath = repoDbPath(box.stateDir, (await Effect.runPromise(identifyRepo(repo))).repoId)
      integrity = integrityCheck(dbPath)
      expect(integrity).toBe("ok")
    } finally {
      totals.accepted = accepted.length
      figures("kill -9", { rounds: ROUNDS, running_per_round: RUNNING, accepted: totals.accepted, missing: totals.missing, left_running: totals.leftRunning, survivors: totals.survivors, crashed: totals.crashed, integrity_check: integrity })
      await hookd?.stop("SIGKILL")
    }
  }, scale(120_000, 600_000))
})
