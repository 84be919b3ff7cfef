// Retry through a real supervisor: a new invocation with the stored specs; the old one untouched.
import { execFile } from "node:child_process"
import { mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { jobLogPath } from "../../src/protocol/paths"
import type { RequestPayloads } from "../../src/protocol/types"
import { HOOKCTL_BIN, TestClient, type Sandbox } from "../support/supervisor"
import { finished, follow, getJob, job, listJobs, payloadOf, runJobs, start, useSupervisedRepo } from "./helpers"

let sandbox: Sandbox
let repo: string

useSupervisedRepo({}, (started) => ({ sandbox, repo } = started))

const retry = async (payload: Omit<RequestPayloads["Retry"], "repo_root">) => {
  const c = await TestClient.connect(sandbox.socket)
  try {
    return await c.request("Retry", { repo_root: repo, ...payload })
  } finally {
    c.close()
  }
}

/** Fails the first time it runs (leaving a marker file), succeeds afterwards. */
const failsOnce = (marker: string) =>
  `if [ -e ${marker} ]; then echo second; else touch ${marker}; echo first; exit 1; fi`

const stdoutOf = async (inv: string, name: string) =>
  (await follow(sandbox.socket, repo, inv, name, { kinds: ["stdout"] })).records.map((r) => r.data)

describe("Retry", () => {
  it("of a failed job runs it again in a new invocation and leaves the old one intact", async () => {
    const marker = join(sandbox.dir, "once-job")
    const old = await start(sandbox.socket, runJobs(repo, [job("flaky", failsOnce(marker)), job("fine", "echo fine")]))
    expect(await finished(sandbox.socket, repo, old, "flaky")).toMatchObject({ status: "failed", exit_code: 1 })
    await finished(sandbox.socket, repo, old, "fine")
    const repoId = (await getJob(sandbox.socket, repo, old, "flaky")).repo_id
    const oldLog = readFileSync(jobLogPath(sandbox.stateDir, repoId, old, "flaky"))

    const accepted = payloadOf(await retry({ job: { repo_root: repo, invocation_prefix: old, name: "flaky" } }), "RunAccepted")
    expect(accepted.invocation_id).not.toBe(old)
    expect(accepted.jobs.map((j) => j.name)).toEqual(["flaky"])
    expect(await finished(sandbox.socket, repo, accepted.invocation_id, "flaky")).toMatchObject({
      status: "completed",
      command: failsOnce(marker),
      hook: "post-checkout",
      worktree: repo
    })
    expect(await stdoutOf(accepted.invocation_id, "flaky")).toEqual(["second"])

    expect(await getJob(sandbox.socket, repo, old, "flaky")).toMatchObject({ status: "failed", exit_code: 1 })
    expect(readFileSync(jobLogPath(sandbox.stateDir, repoId, old, "flaky"))).toEqual(oldLog)
    expect(await stdoutOf(old, "flaky")).toEqual(["first"])
  })

  it("of an invocation reruns the failed job and what needs it, not the jobs that completed", async () => {
    const marker = join(sandbox.dir, "once-inv")
    const old = await start(
      sandbox.socket,
      runJobs(repo, [
        job("a", failsOnce(marker)),
        job("b", "echo b", { needs: ["a"] }),
        job("c", "echo c")
      ])
    )
    expect(await finished(sandbox.socket, repo, old, "a")).toMatchObject({ status: "failed" })
    expect(await finished(sandbox.socket, repo, old, "b")).toMatchObject({ status: "skipped", skip_reason: "dependency a failed" })
    expect(await finished(sandbox.socket, repo, old, "c")).toMatchObject({ status: "completed" })

    const accepted = payloadOf(await retry({ invocation_prefix: old.slice(0, 8) }), "RunAccepted")
    expect(accepted.jobs.map((j) => j.name)).toEqual(["a", "b"])
    expect(await finished(sandbox.socket, repo, accepted.invocation_id, "a")).toMatchObject({ status: "completed" })
    expect(await finished(sandbox.socket, repo, accepted.invocation_id, "b")).toMatchObject({ status: "completed", needs: ["a"] })
    const rerun = await listJobs(sandbox.socket, { repo_root: repo, invocation_prefix: accepted.invocation_id })
    expect(rerun.map((j) => j.name)).toEqual(["a", "b"])
    expect((await getJob(sandbox.socket, repo, old, "b")).status).toBe("skipped")
  })

  it("uses the stored env, taking scrubbed secret names from the request's env", async () => {
    const old = await start(
      sandbox.socket,
      runJobs(repo, [job("env", 'echo "$PLAIN/$API_TOKEN"; exit 1')], {
        env: { PATH: process.env.PATH!, PLAIN: "stored", API_TOKEN: "old-secret" }
      })
    )
    expect(await stdoutOf(old, "env")).toEqual(["stored/old-secret"])
    const accepted = payloadOf(
      await retry({ job: { repo_root: repo, invocation_prefix: old, name: "env" }, env: { PLAIN: "current", API_TOKEN: "new-secret" } }),
      "RunAccepted"
    )
    expect(await stdoutOf(accepted.invocation_id, "env")).toEqual(["stored/new-secret"])
  })

  it("hookctl retry sends its own environment and prints the new invocation id", async () => {
    const old = await start(
      sandbox.socket,
      runJobs(repo, [job("deploy", 'echo "$DEPLOY_TOKEN"; exit 1')], { env: { PATH: process.env.PATH!, DEPLOY_TOKEN: "hook-time" } })
    )
    await finished(sandbox.socket, repo, old, "deploy")
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [HOOKCTL_BIN, "retry", `${old.slice(0, 8)}:deploy`],
        { cwd: repo, env: { ...sandbox.env, DEPLOY_TOKEN: "from-shell" } },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out))
      )
    )
    const newId = /invocation ([0-9a-f]{16})/.exec(stdout)?.[1]
    expect(newId).toBeDefined()
    expect(await stdoutOf(newId!, "deploy")).toEqual(["from-shell"])
  })

  it("fails with a clear message when the job's worktree no longer exists", async () => {
    const worktree = join(repo, "gone-worktree")
    mkdirSync(worktree)
    const old = await start(sandbox.socket, runJobs(repo, [job("w", "exit 2")], { worktree }))
    await finished(sandbox.socket, repo, old, "w")
    rmSync(worktree, { recursive: true })
    const answer = await retry({ job: { repo_root: repo, invocation_prefix: old, name: "w" } })
    expect(answer).toMatchObject({ kind: "Error", payload: { code: "REPO_NOT_FOUND" } })
    expect(payloadOf(answer, "Error").message).toContain(`worktree ${worktree} no longer exists`)
  })

  it("an invocation with nothing to retry answers NO_MATCH; naming both a job and an invocation is BAD_REQUEST", async () => {
    const ok = await start(sandbox.socket, runJobs(repo, [job("ok", "true")]))
    await finished(sandbox.socket, repo, ok, "ok")
    expect(await retry({ invocation_prefix: ok })).toMatchObject({ kind: "Error", payload: { code: "NO_MATCH" } })
    expect(await retry({ invocation_prefix: ok, job: { repo_root: repo, name: "ok" } })).toMatchObject({
      kind: "Error",
      payload: { code: "BAD_REQUEST" }
    })
  })
})
