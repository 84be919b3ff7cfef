// Error paths and races found in review: a failure must answer a useful protocol Error (or be
// logged), never kill the supervisor, and never leave a job row non-terminal.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { open } from "node:fs/promises"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { jobLogPath, repoDir } from "../../src/protocol/paths"
import { makeGitRepo } from "../support/git"
import { liveMembersOfGroup } from "../support/processes"
import { makeSandbox, outputContains, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { awaitStarted, finished, getJob, job, payloadOf, runJobs, start } from "./helpers"

let sandbox: Sandbox | undefined
const supervisors: RunningSupervisor[] = []
afterEach(async () => {
  for (const s of supervisors.splice(0)) await s.stop("SIGKILL")
  sandbox?.cleanup()
  sandbox = undefined
})

const supervise = async (s: Sandbox): Promise<RunningSupervisor> => {
  const hookd = await startSupervisor(s)
  supervisors.push(hookd)
  return hookd
}

/** Replaces a repo's logs directory with a plain file: every log open or append under it fails. */
const breakLogsDir = (s: Sandbox, repoId: string): void => {
  const logs = join(repoDir(s.stateDir, repoId), "logs")
  rmSync(logs, { recursive: true, force: true })
  writeFileSync(logs, "not a directory")
}

describe("reconcile", () => {
  it("a job log that cannot be appended to does not stop the supervisor from starting; the row still ends crashed", async () => {
    sandbox = makeSandbox({ HOOKD_KILL_GRACE_MS: "200" })
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const first = await supervise(sandbox)
    const c = await TestClient.connect(sandbox.socket)
    const accepted = payloadOf(await c.request("RunJobs", runJobs(repo, [job("orphan", "sleep 100")])), "RunAccepted")
    c.close()
    await awaitStarted(sandbox.socket, repo, accepted.invocation_id, "orphan")
    const pgid = (await getJob(sandbox.socket, repo, accepted.invocation_id, "orphan")).pid!
    await first.stop("SIGKILL")
    breakLogsDir(sandbox, accepted.repo_id)

    const second = await supervise(sandbox)
    expect(second.output()).toMatch(/"event":"reconciled"/)
    expect(liveMembersOfGroup(pgid)).toEqual([])
    expect(await getJob(sandbox.socket, repo, accepted.invocation_id, "orphan")).toMatchObject({ status: "crashed" })
    await second.stopCleanly()
  })
})

describe("RunJobs when a job log cannot be opened", () => {
  it("a job fails at its first output with the reason; jobs that write nothing need no log and run; it keeps serving", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const hookd = await supervise(sandbox)
    const first = await start(sandbox.socket, runJobs(repo, [job("first", "true")]))
    const repoId = (await finished(sandbox.socket, repo, first, "first")).repo_id
    breakLogsDir(sandbox, repoId)

    // Logs are created at a job's first output (issue 13): that is where the broken dir shows.
    const broken = await start(sandbox.socket, runJobs(repo, [job("two", "echo out"), job("three", "true", { needs: ["two"] }), job("quiet", "true")]))
    expect(await finished(sandbox.socket, repo, broken, "two")).toMatchObject({ status: "failed", error: expect.stringMatching(/^log write failed: /) })
    expect(await finished(sandbox.socket, repo, broken, "three")).toMatchObject({ status: "skipped" })
    expect(await finished(sandbox.socket, repo, broken, "quiet")).toMatchObject({ status: "completed" })
    const c = await TestClient.connect(sandbox.socket)
    expect(payloadOf(await c.request("Status", {}), "SupervisorStatus")).toMatchObject({ running: 0, queued: 0 })
    c.close()

    rmSync(join(repoDir(sandbox.stateDir, repoId), "logs"))
    const again = await start(sandbox.socket, runJobs(repo, [job("again", "true")]))
    expect(await finished(sandbox.socket, repo, again, "again")).toMatchObject({ status: "completed" })
    await hookd.stopCleanly()
  })
})

describe("log_bytes matches the log on disk (retention budgets count it)", () => {
  it("for a job skipped by a condition", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const hookd = await supervise(sandbox)
    const inv = await start(sandbox.socket, runJobs(repo, [job("skipped", "true", { skip_reason: "skip: merge" }), job("ran", "echo hi")]))
    await finished(sandbox.socket, repo, inv, "ran")
    const info = await getJob(sandbox.socket, repo, inv, "skipped")
    expect(info.status).toBe("skipped")
    // Its one record is made from its row (issue 13): no file, no bytes.
    expect(existsSync(jobLogPath(sandbox.stateDir, info.repo_id, inv, "skipped"))).toBe(false)
    expect(info.log_bytes).toBe(0)
    await hookd.stopCleanly()
  })

  it("for a job marked crashed by reconcile after a kill -9", async () => {
    sandbox = makeSandbox({ HOOKD_KILL_GRACE_MS: "200" })
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const first = await supervise(sandbox)
    const inv = await start(sandbox.socket, runJobs(repo, [job("chatty", "echo one; echo two; sleep 100")]))
    await awaitStarted(sandbox.socket, repo, inv, "chatty")
    // Its output is in its log (created at the first output, issue 13) before the supervisor dies.
    const tail = await TestClient.connect(sandbox.socket)
    tail.send("TailLogs", { job: { repo_root: repo, invocation_prefix: inv, name: "chatty" }, follow: true, kinds: ["stdout"] })
    expect((await tail.next()).kind).toBe("StreamFrame")
    tail.close()
    await first.stop("SIGKILL")
    const hookd = await supervise(sandbox)
    const info = await getJob(sandbox.socket, repo, inv, "chatty")
    expect(info.status).toBe("crashed")
    expect(info.log_bytes).toBe(statSync(jobLogPath(sandbox.stateDir, info.repo_id, inv, "chatty")).size)
    await hookd.stopCleanly()
  })
})

describe("RunJobs while shutting down", () => {
  it("a RunJobs still loading its config when the supervisor starts stopping is answered BUSY and starts nothing", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const fifo = join(sandbox.dir, "gate")
    const marker = join(sandbox.dir, "job-ran")
    execFileSync("mkfifo", [fifo])
    // The job's skip condition blocks on the fifo, holding the request in flight until the test lets go.
    writeFileSync(
      join(repo, "hookd.yml"),
      `hooks:\n  post-checkout:\n    jobs:\n      - name: late\n        run: touch ${marker}\n        skip:\n          - run: "cat ${fifo} >/dev/null; false"\n`
    )
    const hookd = await supervise(sandbox)
    const c = await TestClient.connect(sandbox.socket)
    const { jobs: _none, ...fromConfig } = runJobs(repo, [])
    c.send("RunJobs", fromConfig)
    const gate = await open(fifo, "w") // returns once the condition is reading: the request is in flight
    hookd.proc.kill("SIGTERM")
    await outputContains(hookd, '"event":"stopping"')
    await gate.close()
    expect(await c.next()).toMatchObject({ kind: "Error", payload: { code: "BUSY" } })
    c.close()
    expect(await hookd.exited).toBe(0)
    expect(existsSync(marker)).toBe(false)
  })
})

describe("requests about a repository hookd never ran a job for", () => {
  it("Prune (dry run or not) and Retry create no database for it", async () => {
    sandbox = makeSandbox()
    const used = makeGitRepo(join(sandbox.dir, "used"))
    const fresh = makeGitRepo(join(sandbox.dir, "fresh"))
    const hookd = await supervise(sandbox)
    const inv = await start(sandbox.socket, runJobs(used, [job("one", "true")]))
    await finished(sandbox.socket, used, inv, "one")
    const reposBefore = readdirSync(join(sandbox.stateDir, "repos")).sort()

    const c = await TestClient.connect(sandbox.socket)
    for (const dry_run of [true, false]) {
      expect(payloadOf(await c.request("Prune", { repo_root: fresh, dry_run }), "Pruned")).toMatchObject({ invocations: 0, jobs: 0, items: [] })
    }
    expect(await c.request("Retry", { repo_root: fresh, job: { repo_root: fresh, name: "one" } })).toMatchObject({
      kind: "Error",
      payload: { code: "JOB_NOT_FOUND" }
    })
    c.close()
    expect(readdirSync(join(sandbox.stateDir, "repos")).sort()).toEqual(reposBefore)
    await hookd.stopCleanly()
  })
})
