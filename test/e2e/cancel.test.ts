// Cancel = interruption: no process of a cancelled job survives; CancelMatching's predicates.
import { afterEach, describe, expect, it } from "vitest"
import { liveMembersOfGroup } from "../support/processes"
import { TestClient, type Sandbox } from "../support/supervisor"
import { awaitOutput, awaitStarted, follow, getJob, job, listJobs, payloadOf, runJobs, start, useSupervisedRepo } from "./helpers"

let sandbox: Sandbox
let repo: string

useSupervisedRepo({ HOOKD_KILL_GRACE_MS: "500", HOOKD_MAX_PARALLEL: "8" }, (started) => ({ sandbox, repo } = started))

const request = async <N extends "CancelJob" | "CancelAll" | "CancelMatching">(req: N, payload: Parameters<TestClient["request"]>[1]) => {
  const c = await TestClient.connect(sandbox.socket)
  try {
    return await c.request(req, payload as never)
  } finally {
    c.close()
  }
}

describe("cancel", () => {
  // A test that fails half-way must not leave its jobs running into the next test's counts.
  afterEach(async () => {
    await request("CancelAll", { repo_root: repo })
  })

  it("cancelling `sleep 100 & sleep 100 & echo up; wait` leaves no process of its group", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("sleepy", "sleep 100 & sleep 100 & echo up; wait")]))
    // `started` means the shell runs, not that it has forked yet: "up" comes after both forks.
    await awaitOutput(sandbox.socket, repo, inv, "sleepy", "up")
    const pgid = (await getJob(sandbox.socket, repo, inv, "sleepy")).pid!
    expect(liveMembersOfGroup(pgid).length).toBeGreaterThanOrEqual(2)
    const r = await request("CancelJob", { job: { repo_root: repo, name: "sleepy" } })
    expect(payloadOf(r, "Cancelled")).toEqual({ count: 1, names: [`${inv.slice(0, 8)}:sleepy`] })
    expect(liveMembersOfGroup(pgid)).toEqual([])
    expect(await getJob(sandbox.socket, repo, inv, "sleepy")).toMatchObject({ status: "cancelled" })
  })

  it("a job that traps TERM is SIGKILLed after the grace period", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("stubborn", "trap '' TERM; sleep 100 & sleep 100 & echo up; wait")]))
    // After "up" the trap is set: the TERM cannot end the job before the grace period.
    await awaitOutput(sandbox.socket, repo, inv, "stubborn", "up")
    const pgid = (await getJob(sandbox.socket, repo, inv, "stubborn")).pid!
    await request("CancelJob", { job: { repo_root: repo, invocation_prefix: inv.slice(0, 6), name: "stubborn" } })
    expect(liveMembersOfGroup(pgid)).toEqual([])
    expect(await getJob(sandbox.socket, repo, inv, "stubborn")).toMatchObject({ status: "cancelled" })
  })

  it("cancelling a queued job skips its spawn and its dependents", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("first", "sleep 100"), job("second", "echo never", { needs: ["first"] })]))
    await awaitStarted(sandbox.socket, repo, inv, "first")
    await request("CancelJob", { job: { repo_root: repo, name: "first" } })
    const second = await getJob(sandbox.socket, repo, inv, "second")
    expect(second).toMatchObject({ status: "skipped", skip_reason: "dependency first cancelled", pid: null })
  })

  it("when the hook waiting for a foreground job goes away (Ctrl-C on git commit), the job is cancelled", async () => {
    const c = await TestClient.connect(sandbox.socket)
    c.send("RunJobs", runJobs(repo, [job("fg", "sleep 100 & sleep 100; wait", { background: false })], { wait: true }))
    const inv = payloadOf(await c.next(), "RunAccepted").invocation_id
    await awaitStarted(sandbox.socket, repo, inv, "fg")
    const pgid = (await getJob(sandbox.socket, repo, inv, "fg")).pid!
    c.close()
    const { end } = await follow(sandbox.socket, repo, inv, "fg")
    expect(end).toMatchObject({ kind: "StreamEnd", payload: { reason: "terminal" } })
    expect(await getJob(sandbox.socket, repo, inv, "fg")).toMatchObject({ status: "cancelled", error: "cancelled by client disconnected" })
    expect(liveMembersOfGroup(pgid)).toEqual([])
  })

  it("cancelling an unknown job is JOB_NOT_FOUND", async () => {
    const r = await request("CancelJob", { job: { repo_root: repo, name: "no-such-job" } })
    expect(r).toMatchObject({ kind: "Error", payload: { code: "JOB_NOT_FOUND" } })
  })

  it("CancelMatching cancels exactly the jobs matching every predicate", async () => {
    const a = await start(
      sandbox.socket,
      runJobs(repo, [job("t-deps", "sleep 100", { tags: ["deps"] }), job("t-other", "sleep 100", { tags: ["other"] })], { hook: "post-merge" })
    )
    const b = await start(sandbox.socket, runJobs(repo, [job("t-deps2", "sleep 100", { tags: ["deps"] })], { hook: "post-checkout" }))
    for (const [inv, name] of [[a, "t-deps"], [a, "t-other"], [b, "t-deps2"]] as const) await awaitStarted(sandbox.socket, repo, inv, name)

    // tag AND hook: only t-deps
    const byTagAndHook = payloadOf(await request("CancelMatching", { repo_root: repo, tag: "deps", hook: "post-merge" }), "Cancelled")
    expect(byTagAndHook.names).toEqual([`${a.slice(0, 8)}:t-deps`])
    // invocation prefix: the rest of invocation a
    const byInv = payloadOf(await request("CancelMatching", { repo_root: repo, invocation_prefix: a.slice(0, 5) }), "Cancelled")
    expect(byInv.names).toEqual([`${a.slice(0, 8)}:t-other`])
    // older than an hour: nothing
    expect(await request("CancelMatching", { repo_root: repo, older_than_secs: 3600 })).toMatchObject({
      kind: "Error",
      payload: { code: "NO_MATCH" }
    })
    // worktree: the last one
    const byWorktree = payloadOf(await request("CancelMatching", { worktree: repo }), "Cancelled")
    expect(byWorktree.names).toEqual([`${b.slice(0, 8)}:t-deps2`])
    const statuses = (await listJobs(sandbox.socket, { repo_root: repo, tag: "deps" })).map((j) => j.status)
    expect(new Set(statuses)).toEqual(new Set(["cancelled"]))
  })

  it("CancelAll cancels every live job of the repo", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("all1", "sleep 100"), job("all2", "sleep 100")]))
    await awaitStarted(sandbox.socket, repo, inv, "all1")
    await awaitStarted(sandbox.socket, repo, inv, "all2")
    const r = payloadOf(await request("CancelAll", { repo_root: repo }), "Cancelled")
    expect(r.count).toBe(2)
    expect((await getJob(sandbox.socket, repo, inv, "all2")).status).toBe("cancelled")
  })
})
