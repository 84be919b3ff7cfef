// Bad state on disk and bad arguments: hookd explains and keeps serving everything else.
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { repoDbPath } from "../../src/protocol/paths"
import { identifyRepo } from "../../src/repos/identity"
import { makeGitRepo } from "../support/git"
import { HOOKD_BUNDLE, makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"
import { finished, job, runJobs, start } from "./helpers"

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

const dbPathOf = async (repo: string, stateDir: string) => repoDbPath(stateDir, (await Effect.runPromise(identifyRepo(repo))).repoId)

const runJobsAnswer = async (socket: string, repo: string) => {
  const c = await TestClient.connect(socket)
  try {
    return await c.request("RunJobs", runJobs(repo, [job("x", "true")]))
  } finally {
    c.close()
  }
}

describe("a repository's database that hookd must not open", () => {
  it("a foreign SQLite file is refused by name, untouched, and other repositories still work", async () => {
    sandbox = makeSandbox()
    const foreignRepo = makeGitRepo(join(sandbox.dir, "foreign"))
    const goodRepo = makeGitRepo(join(sandbox.dir, "good"))
    const dbPath = await dbPathOf(foreignRepo, sandbox.stateDir)
    mkdirSync(join(dbPath, ".."), { recursive: true, mode: 0o700 })
    execFileSync("sqlite3", [dbPath, "PRAGMA application_id = 1234; CREATE TABLE t(x);"])
    chmodSync(dbPath, 0o600)
    const before = readFileSync(dbPath)
    const hookd = await startSupervisor(sandbox)
    try {
      const answer = await runJobsAnswer(sandbox.socket, foreignRepo)
      expect(answer).toMatchObject({ kind: "Error", payload: { code: "REPO_UNAVAILABLE" } })
      expect(JSON.stringify(answer.payload)).toMatch(/not a hookd database/)
      expect(JSON.stringify(answer.payload)).toContain(dbPath)
      expect(readFileSync(dbPath).equals(before)).toBe(true)
      const inv = await start(sandbox.socket, runJobs(goodRepo, [job("ok", "true")]))
      expect((await finished(sandbox.socket, goodRepo, inv, "ok")).status).toBe("completed")
    } finally {
      await hookd.stopCleanly()
    }
  })

  it("a database with a newer schema is refused and left byte-identical", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    let hookd = await startSupervisor(sandbox)
    const inv = await start(sandbox.socket, runJobs(repo, [job("ok", "true")]))
    await finished(sandbox.socket, repo, inv, "ok")
    await hookd.stopCleanly()
    const dbPath = await dbPathOf(repo, sandbox.stateDir)
    execFileSync("sqlite3", [dbPath, "PRAGMA user_version = 999;"])
    const before = readFileSync(dbPath)
    // As after a crash (no clean-stop marker): the start-up pass opens every repository and logs this one.
    rmSync(join(sandbox.stateDir, "clean-stop"))
    hookd = await startSupervisor(sandbox)
    try {
      expect(hookd.output()).toMatch(/repo_open_failed.*newer hookd/)
      const answer = await runJobsAnswer(sandbox.socket, repo)
      expect(JSON.stringify(answer.payload)).toMatch(/newer hookd/)
      expect(readFileSync(dbPath).equals(before)).toBe(true)
    } finally {
      await hookd.stopCleanly()
    }
  })

  it("a database chmod'ed 0644 is refused with the chmod that fixes it", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    let hookd = await startSupervisor(sandbox)
    await finished(sandbox.socket, repo, await start(sandbox.socket, runJobs(repo, [job("ok", "true")])), "ok")
    await hookd.stopCleanly()
    const dbPath = await dbPathOf(repo, sandbox.stateDir)
    chmodSync(dbPath, 0o644)
    hookd = await startSupervisor(sandbox)
    try {
      const answer = await runJobsAnswer(sandbox.socket, repo)
      expect(answer).toMatchObject({ kind: "Error" })
      expect(JSON.stringify(answer.payload)).toContain(`chmod 600 ${dbPath}`)
    } finally {
      await hookd.stopCleanly()
    }
  })
})

describe("hookd's own arguments", () => {
  it("an unknown argument is a usage error (exit 2) with the usage, never a stack trace", () => {
    sandbox = makeSandbox()
    const r = spawnSync(process.execPath, [HOOKD_BUNDLE, "--frobnicate"], { env: sandbox.env, encoding: "utf8" })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/unknown argument "--frobnicate"/)
    expect(r.stderr).toMatch(/usage: hookd/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it("a state dir it cannot use is explained in one line", () => {
    sandbox = makeSandbox()
    writeFileSync(join(sandbox.dir, "file"), "")
    const r = spawnSync(process.execPath, [HOOKD_BUNDLE], {
      env: { ...sandbox.env, HOOKD_STATE_DIR: join(sandbox.dir, "file", "state") },
      encoding: "utf8"
    })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/^hookd: cannot create the state directory .*file\/state: .*ENOTDIR/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
