// RunJobs through a real supervisor: outcomes, logs on disk, needs, concurrency, timeouts.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { jobLogPath } from "../../src/protocol/paths"
import type { LogRecord } from "../../src/protocol/types"
import { liveMembersOfGroup } from "../support/processes"
import { TestClient, type Sandbox } from "../support/supervisor"
import { finished, follow, getJob, job, listJobs, payloadOf, runJobs, start, useSupervisedRepo } from "./helpers"

let sandbox: Sandbox
let repo: string

useSupervisedRepo({ HOOKD_MAX_PARALLEL: "2" }, (started) => ({ sandbox, repo } = started))

const readLog = (repoId: string, inv: string, name: string): LogRecord[] =>
  readFileSync(jobLogPath(sandbox.stateDir, repoId, inv, name), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as LogRecord)

describe("a job's outcome", () => {
  it("records stdout, stderr and status lines in output.jsonl and ends completed with exit 0", async () => {
    const c = await TestClient.connect(sandbox.socket)
    c.send("RunJobs", runJobs(repo, [job("hello", "echo out; echo err >&2", { background: false })], { wait: true }))
    const accepted = payloadOf(await c.next(), "RunAccepted")
    const frames = await c.collect()
    c.close()
    expect(frames[frames.length - 1]).toMatchObject({ kind: "StreamEnd", payload: { outcome: "completed" } })
    const records = readLog(accepted.repo_id, accepted.invocation_id, "hello")
    expect(records.map((r) => [r.kind, r.kind === "status" ? r.data.event : r.data])).toEqual([
      ["status", "started"],
      ...(records[1].kind === "stdout"
        ? [["stdout", "out"], ["stderr", "err"]]
        : [["stderr", "err"], ["stdout", "out"]]),
      ["status", "finished"]
    ])
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3])
    const info = await getJob(sandbox.socket, repo, accepted.invocation_id, "hello")
    expect(info).toMatchObject({ status: "completed", exit_code: 0, signal: null })
    expect(info.log_bytes).toBe(readFileSync(jobLogPath(sandbox.stateDir, accepted.repo_id, accepted.invocation_id, "hello")).length)
  })

  it("StreamEnd carries the waited jobs as they ended (a skipped one too), never a background one", async () => {
    const c = await TestClient.connect(sandbox.socket)
    c.send(
      "RunJobs",
      runJobs(
        repo,
        [
          job("lint", "true", { background: false }),
          job("types", "exit 2", { background: false }),
          job("test", "true", { background: false, needs: ["types"] }),
          job("later", "true", { background: true })
        ],
        { wait: true }
      )
    )
    const accepted = payloadOf(await c.next(), "RunAccepted")
    const frames = await c.collect()
    c.close()
    const end = payloadOf(frames[frames.length - 1], "StreamEnd")
    expect(end.outcome).toBe("failed")
    expect(end.jobs?.map((j) => [j.name, j.status, j.exit_code, j.invocation_id])).toEqual([
      ["lint", "completed", 0, accepted.invocation_id],
      ["types", "failed", 2, accepted.invocation_id],
      ["test", "skipped", null, accepted.invocation_id]
    ])
    // The same rows ListJobs would give (what the hook asked for before StreamEnd carried them).
    const listed = await listJobs(sandbox.socket, { repo_root: repo, invocation_prefix: accepted.invocation_id })
    expect(end.jobs).toEqual(["lint", "types", "test"].map((name) => listed.find((j) => j.name === name)))
  })

  it("a non-zero exit ends failed with its code", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("bad", "exit 3")]))
    expect(await finished(sandbox.socket, repo, inv, "bad")).toMatchObject({ status: "failed", exit_code: 3 })
  })

  it("a job killed by a signal records the signal", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("killed", "kill -KILL $$")]))
    expect(await finished(sandbox.socket, repo, inv, "killed")).toMatchObject({ status: "failed", signal: "SIGKILL", exit_code: null })
  })

  it("a cwd that does not exist fails the job with a message instead of crashing", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("nowhere", "true", { cwd: "no/such/dir" })]))
    const info = await finished(sandbox.socket, repo, inv, "nowhere")
    expect(info.status).toBe("failed")
    expect(info.error).toMatch(/no\/such\/dir/)
  })

  it("the job sees the request env, its own env and the HOOKD_* variables", async () => {
    const inv = await start(
      sandbox.socket,
      runJobs(repo, [job("env", 'echo "$FROM_REQUEST $FROM_JOB $HOOKD_JOB $HOOKD_HOOK $HOOKD_INVOCATION_ID"', { env: { FROM_JOB: "j" } })], {
        env: { PATH: process.env.PATH!, FROM_REQUEST: "r" }
      })
    )
    const { records } = await follow(sandbox.socket, repo, inv, "env", { kinds: ["stdout"] })
    expect(records.map((r) => r.data)).toEqual([`r j env post-checkout ${inv}`])
  })
})

describe("needs", () => {
  it("B starts only after A completed", async () => {
    const marker = join(sandbox.dir, "a-done")
    const inv = await start(
      sandbox.socket,
      runJobs(repo, [job("b", `test -f ${marker}`, { needs: ["a"] }), job("a", `sleep 0.2; touch ${marker}`)])
    )
    expect(await finished(sandbox.socket, repo, inv, "b")).toMatchObject({ status: "completed" })
  })

  it("when A fails, B and its dependents are skipped with the reason", async () => {
    const inv = await start(
      sandbox.socket,
      runJobs(repo, [job("a", "exit 1"), job("b", "true", { needs: ["a"] }), job("c", "true", { needs: ["b"] })])
    )
    expect(await finished(sandbox.socket, repo, inv, "c")).toMatchObject({ status: "skipped", skip_reason: "dependency b skipped" })
    expect(await getJob(sandbox.socket, repo, inv, "b")).toMatchObject({ status: "skipped", skip_reason: "dependency a failed" })
  })

  it("a cycle is CONFIG_INVALID and nothing starts", async () => {
    const before = (await listJobs(sandbox.socket, { repo_root: repo })).length
    const c = await TestClient.connect(sandbox.socket)
    const r = await c.request("RunJobs", runJobs(repo, [job("x", "true", { needs: ["y"] }), job("y", "true", { needs: ["x"] })]))
    c.close()
    expect(r).toMatchObject({ kind: "Error", payload: { code: "CONFIG_INVALID" } })
    expect(JSON.stringify(r.payload)).toMatch(/cycle/)
    expect((await listJobs(sandbox.socket, { repo_root: repo })).length).toBe(before)
  })

  it("an unknown need is CONFIG_INVALID", async () => {
    const c = await TestClient.connect(sandbox.socket)
    const r = await c.request("RunJobs", runJobs(repo, [job("x", "true", { needs: ["ghost"] })]))
    c.close()
    expect(r).toMatchObject({ kind: "Error", payload: { code: "CONFIG_INVALID" } })
  })
})

describe("limits", () => {
  it("with HOOKD_MAX_PARALLEL=2, ten 0.5 s jobs never run more than two at a time", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `sleep${i}`)
    // Without the limit all ten would start within a spawn or two of each other: half a second of
    // overlap is plenty for the sweep below to see more than two.
    const inv = await start(sandbox.socket, runJobs(repo, names.map((n) => job(n, "sleep 0.5"))))
    const infos = await Promise.all(names.map((n) => finished(sandbox.socket, repo, inv, n)))
    expect(infos.every((i) => i.status === "completed")).toBe(true)
    // Sweep the recorded start/finish instants: at no instant are more than two running.
    const events = infos.flatMap((i) => [
      { t: i.started_at!, d: +1 },
      { t: i.finished_at!, d: -1 }
    ])
    events.sort((a, b) => a.t - b.t || a.d - b.d)
    let running = 0
    let most = 0
    for (const e of events) {
      running += e.d
      most = Math.max(most, running)
    }
    expect(most).toBe(2)
  })

  it("a 1 s timeout on sleep 30 ends timed_out and the group is gone", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("slow", "sleep 30 & sleep 30; wait", { timeout_ms: 1000 })]))
    const { records } = await follow(sandbox.socket, repo, inv, "slow")
    expect(records[records.length - 1]).toMatchObject({ kind: "status", data: { event: "timed_out", after_ms: 1000 } })
    const info = await getJob(sandbox.socket, repo, inv, "slow")
    expect(info.status).toBe("timed_out")
    expect(liveMembersOfGroup(info.pid!)).toEqual([])
  })
})
