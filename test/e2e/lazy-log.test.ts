// The lazy job log through a real supervisor and the real hookctl (issue 13, disk per trivial
// job): a job that writes nothing leaves no directory or file, yet `hookctl logs` and `show` read as
// before — after it ended, and after a kill -9 and reconcile (Prune: test/retention/sweep.test.ts).
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { jobLogPath, repoDir } from "../../src/protocol/paths"
import type { LogRecord } from "../../src/protocol/types"
import { makeGitRepo } from "../support/git"
import { hookctl } from "../support/hookctl"
import { makeSandbox, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { awaitStarted, finished, getJob, job, runJobs, start } from "./helpers"

/** One sandbox and the supervisors started in it, killed and removed after the test. */
const scene = (env: Record<string, string> = {}) => {
  const sandbox = makeSandbox(env)
  const started: RunningSupervisor[] = []
  return {
    sandbox,
    repo: makeGitRepo(join(sandbox.dir, "repo")),
    supervise: async () => {
      const hookd = await startSupervisor(sandbox)
      started.push(hookd)
      return hookd
    },
    cleanup: async () => {
      for (const hookd of started) await hookd.stop("SIGKILL")
      sandbox.cleanup()
    }
  }
}
let current: ReturnType<typeof scene> | undefined
afterEach(async () => {
  await current?.cleanup()
  current = undefined
})

const logsJson = async (s: Sandbox, repo: string, name: string): Promise<LogRecord[]> => {
  const r = await hookctl(s, repo, ["logs", name, "--json"])
  expect(r.code, r.stderr).toBe(0)
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as LogRecord)
}

describe("a job that writes no output", () => {
  it("has no log directory or file; hookctl logs shows its started and finished records from its row", async () => {
    current = scene()
    const { sandbox, repo } = current
    await current.supervise()
    const inv = await start(sandbox.socket, runJobs(repo, [job("quiet", "true"), job("loud", "echo hi")]))
    const quiet = await finished(sandbox.socket, repo, inv, "quiet")
    await finished(sandbox.socket, repo, inv, "loud")
    expect(quiet).toMatchObject({ status: "completed", log_bytes: 0 })
    expect(existsSync(join(repoDir(sandbox.stateDir, quiet.repo_id), "logs", inv, "quiet"))).toBe(false)
    expect(existsSync(jobLogPath(sandbox.stateDir, quiet.repo_id, inv, "loud"))).toBe(true)
    expect(await logsJson(sandbox, repo, "quiet")).toEqual([
      { seq: 0, ts: quiet.started_at, kind: "status", data: { event: "started", pid: quiet.pid } },
      { seq: 1, ts: quiet.finished_at, kind: "status", data: { event: "finished", exit_code: 0 } }
    ])
    // show: no path to a file that does not exist.
    expect((await getJob(sandbox.socket, repo, inv, "quiet")).log_path).toBeUndefined()
    const shown = await hookctl(sandbox, repo, ["show", "quiet"])
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/log\s+-\s+\(0 B\)/)
  })

  it("killed with the supervisor (kill -9): reconcile ends it crashed, and its records still read without a file", async () => {
    current = scene({ HOOKD_KILL_GRACE_MS: "200" })
    const { sandbox, repo } = current
    const first = await current.supervise()
    const inv = await start(sandbox.socket, runJobs(repo, [job("silent", "sleep 100")]))
    await awaitStarted(sandbox.socket, repo, inv, "silent")
    await first.stop("SIGKILL")
    await current.supervise()
    const info = await getJob(sandbox.socket, repo, inv, "silent")
    expect(info).toMatchObject({ status: "crashed", log_bytes: 0 })
    expect(existsSync(jobLogPath(sandbox.stateDir, info.repo_id, inv, "silent"))).toBe(false)
    expect(await logsJson(sandbox, repo, "silent")).toEqual([
      { seq: 0, ts: info.started_at, kind: "status", data: { event: "started", pid: info.pid } },
      { seq: 1, ts: info.finished_at, kind: "status", data: { event: "crashed", message: info.error } }
    ])
  })
})
