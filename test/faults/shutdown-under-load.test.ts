// Fault: a graceful shutdown (SIGTERM) while jobs run and submissions stream in. The supervisor
// exits 0, every row it leaves is terminal (read from the database after it is gone), and none of
// the jobs' processes survive. Figures: jobs running at the signal, submissions accepted, rows,
// shutdown time (printed, never asserted: speed belongs in bench/). Short form: 8 running jobs;
// HOOKD_FAULTS=full: 50.
import { join } from "node:path"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { repoDbPath } from "../../src/protocol/paths"
import { identifyRepo } from "../../src/repos/identity"
import { makeGitRepo } from "../support/git"
import { makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"
import { job, payloadOf, runJobs, start } from "../e2e/helpers"
import { rawRows } from "../store/helpers"
import { figures, integrityCheck, liveInGroup, scale } from "./support"

const RUNNING = scale(8, 50)

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

describe("fault: shutdown under load", () => {
  it(`SIGTERM with ${RUNNING} running jobs and submissions in flight exits 0 with every row terminal`, async () => {
    const box = (sandbox = makeSandbox({ HOOKD_MAX_PARALLEL: String(RUNNING + 8), HOOKD_KILL_GRACE_MS: "1000" }))
    const repo = makeGitRepo(join(box.dir, "repo"))
    const hookd = await startSupervisor(box)
    let accepted = 0
    let exitCode: number | string = "not stopped"
    let shutdownMs = -1
    let rows: Array<Record<string, unknown>> = []
    try {
      await start(box.socket, runJobs(repo, Array.from({ length: RUNNING }, (_, i) => job(`long-${i}`, "trap '' TERM; sleep 600"))))
      const status = await TestClient.connect(box.socket)
      while (payloadOf(await status.request("Status", {}), "SupervisorStatus").running < RUNNING) {
        // each ask is a round trip: wait until every job has spawned
      }
      status.close()
      // Submissions keep arriving while the signal lands; each is accepted or refused (BUSY), never lost.
      let signalled = false
      const submitter = (async () => {
        const c = await TestClient.connect(box.socket)
        try {
          for (let i = 0; ; i++) {
            const answer = await c.request("RunJobs", runJobs(repo, [job(`late-${i}`, "sleep 1")]))
            if (answer.kind === "RunAccepted") accepted++
            if (!signalled && accepted === 5) {
              signalled = true
              const t0 = performance.now()
              hookd.proc.kill("SIGTERM")
              void hookd.exited.then(() => (shutdownMs = Math.round(performance.now() - t0)))
            }
          }
        } catch {
          // the connection closed with the supervisor
        } finally {
          c.close()
        }
      })()
      await submitter
      exitCode = await hookd.exited
      expect(exitCode).toBe(0)
      const dbPath = repoDbPath(box.stateDir, (await Effect.runPromise(identifyRepo(repo))).repoId)
      rows = rawRows(dbPath, "SELECT name, status, pgid FROM jobs")
      expect(rows.filter((r) => ["queued", "running", "cancelling"].includes(String(r.status)))).toEqual([])
      expect(rows.flatMap((r) => (typeof r.pgid === "number" ? liveInGroup(r.pgid) : []))).toEqual([])
      expect(integrityCheck(dbPath)).toBe("ok")
    } finally {
      figures("shutdown under load", { running: RUNNING, accepted_while_stopping: accepted, rows: rows.length, exit: exitCode, shutdown_ms: shutdownMs })
      await hookd.stop("SIGKILL")
    }
  }, scale(60_000, 300_000))
})
