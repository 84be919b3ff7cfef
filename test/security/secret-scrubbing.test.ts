// Issue 14 item 10 through the real supervisor: secrets in the request's env and the hook's args
// never reach coordinator.db (by name or by value), while the job — and a Retry of it — still
// receives the real values.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { repoDbPath } from "../../src/protocol/paths"
import { finished, job, payloadOf, runJobs } from "../e2e/helpers"
import { withRawDb } from "../store/helpers"
import { makeGitRepo } from "../support/git"
import { makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

const DB_URL = "postgres://app:hunter2@db.internal/prod"
const GHP = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
const AWS = "AKIA" + "IOSFODNN7EXAMPLE"
const REMOTE = "https://bob:pa55word@git.example.com/r.git"

describe("secrets in RunJobs", () => {
  it("the stored rows are scrubbed, the job and its retry see the real values", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const seen = join(sandbox.dir, "seen.txt")
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", DATABASE_URL: DB_URL, GITHUB_PAT: GHP, NOTE: `key ${AWS}` }
    const hookd = await startSupervisor(sandbox)
    let repoId: string
    try {
      const c = await TestClient.connect(sandbox.socket)
      const accepted = payloadOf(
        await c.request(
          "RunJobs",
          runJobs(repo, [job("show", `printf '%s\\n' "$DATABASE_URL" "$GITHUB_PAT" "$NOTE" >> '${seen}'`)], {
            env,
            args: ["origin", REMOTE, GHP]
          })
        ),
        "RunAccepted"
      )
      repoId = accepted.repo_id
      expect(await finished(sandbox.socket, repo, accepted.invocation_id, "show")).toMatchObject({ status: "completed" })
      const retried = payloadOf(
        await c.request("Retry", { repo_root: repo, job: { repo_root: repo, name: "show" }, env }),
        "RunAccepted"
      )
      expect(await finished(sandbox.socket, repo, retried.invocation_id, "show")).toMatchObject({ status: "completed" })
      c.close()
    } finally {
      await hookd.stopCleanly()
    }

    const real = [DB_URL, GHP, `key ${AWS}`]
    expect(readFileSync(seen, "utf8").trim().split("\n")).toEqual([...real, ...real])

    const stored = withRawDb(repoDbPath(sandbox.stateDir, repoId), (db) => ({
      env: db.all("SELECT env_json FROM jobs").map((r) => String(r.env_json)),
      args: db.all("SELECT args_json FROM invocations").map((r) => String(r.args_json))
    }))
    const everything = [...stored.env, ...stored.args].join("\n")
    for (const secret of ["hunter2", GHP, AWS, "pa55word"]) expect(everything).not.toContain(secret)
    expect(stored.env).toHaveLength(2)
    for (const row of stored.env) {
      const e = JSON.parse(row) as Record<string, string>
      expect(e).toMatchObject({ DATABASE_URL: "postgres://app:***@db.internal/prod", NOTE: "key AKIA***" })
      expect(e).not.toHaveProperty("GITHUB_PAT")
    }
    expect(JSON.parse(stored.args[0])).toEqual(["origin", "https://bob:***@git.example.com/r.git", "ghp_***"])
  })
})
