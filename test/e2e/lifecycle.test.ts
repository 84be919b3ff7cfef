// Supervisor lifecycle: kill -9 and restart (reconcile), graceful SIGTERM, Shutdown, singleton.
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync, watch } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { repoDbPath } from "../../src/protocol/paths"
import { openRepoStore } from "../../src/store/open"
import { makeGitRepo } from "../support/git"
import { liveMembersOfGroup } from "../support/processes"
import { HOOKD_BUNDLE, makeSandbox, outputContains, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"
import { storedRecords } from "../support/stored-records"
import { awaitStarted, finished, follow, getJob, job, payloadOf, runJobs, start } from "./helpers"

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

describe("restart after kill -9", () => {
  it("marks running rows crashed with a terminal record, kills orphaned groups, clears the stale lock, and serves again", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const first = await startSupervisor(sandbox)
    const c = await TestClient.connect(sandbox.socket)
    const accepted = payloadOf(await c.request("RunJobs", runJobs(repo, [job("orphan", "sleep 100 & sleep 100; wait"), job("waiting", "true", { needs: ["orphan"] })])), "RunAccepted")
    c.close()
    const inv = accepted.invocation_id
    await awaitStarted(sandbox.socket, repo, inv, "orphan")
    const pgid = (await getJob(sandbox.socket, repo, inv, "orphan")).pid!
    await first.stop("SIGKILL")
    // The jobs live on in their own session; the database's lock dir stays behind.
    expect(liveMembersOfGroup(pgid).length).toBeGreaterThan(0)
    expect(existsSync(join(sandbox.stateDir, "repos", accepted.repo_id, "coordinator.db.lock"))).toBe(true)

    const second = await startSupervisor(sandbox)
    try {
      expect(liveMembersOfGroup(pgid)).toEqual([])
      expect(await getJob(sandbox.socket, repo, inv, "orphan")).toMatchObject({ status: "crashed", repo_root: repo })
      expect(await getJob(sandbox.socket, repo, inv, "waiting")).toMatchObject({ status: "cancelled" })
      // Neither wrote output, so neither has a log file (issue 13): the records are read as hookctl logs reads them.
      expect((await follow(sandbox.socket, repo, inv, "orphan")).records.at(-1)).toMatchObject({ kind: "status", data: { event: "crashed" } })
      expect((await follow(sandbox.socket, repo, inv, "waiting")).records.at(-1)).toMatchObject({ kind: "status", data: { event: "cancelled" } })
      expect(second.output()).toMatch(/"event":"reconciled"/)
      const again = await start(sandbox.socket, runJobs(repo, [job("after", "echo ok")]))
      expect(await finished(sandbox.socket, repo, again, "after")).toMatchObject({ status: "completed" })
    } finally {
      await second.stop()
    }
  })
})

describe("graceful stop", () => {
  it("SIGTERM cancels running jobs (by shutdown), removes the socket and exits 0", async () => {
    sandbox = makeSandbox({ HOOKD_KILL_GRACE_MS: "500", HOOKD_MAX_PARALLEL: "4" })
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const hookd = await startSupervisor(sandbox)
    const inv = await start(sandbox.socket, runJobs(repo, [job("one", "sleep 100"), job("two", "trap '' TERM; sleep 100")]))
    await awaitStarted(sandbox.socket, repo, inv, "one")
    await awaitStarted(sandbox.socket, repo, inv, "two")
    const pgids = [(await getJob(sandbox.socket, repo, inv, "one")).pid!, (await getJob(sandbox.socket, repo, inv, "two")).pid!]
    // A follower that is open when the supervisor stops gets its StreamEnd.
    const tail = await TestClient.connect(sandbox.socket)
    tail.send("TailLogs", { job: { repo_root: repo, invocation_prefix: inv, name: "one" }, follow: true })
    expect((await tail.next()).kind).toBe("StreamFrame")
    expect(await hookd.stop("SIGTERM")).toBe(0)
    const frames = await tail.collect()
    expect(frames[frames.length - 1]).toMatchObject({ kind: "StreamEnd", payload: { reason: "shutdown" } })
    tail.close()
    expect(existsSync(sandbox.socket)).toBe(false)
    for (const pgid of pgids) expect(liveMembersOfGroup(pgid)).toEqual([])
    const repoId = readdirRepoId(sandbox.stateDir)
    for (const name of ["one", "two"]) {
      expect((await storedRecords(sandbox.stateDir, repoId, inv, name)).at(-1)).toMatchObject({ data: { event: "cancelled", by: "shutdown" } })
    }
    // The invocation's own row was rolled up before the database closed (read with the supervisor stopped).
    const invocation = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(openRepoStore({ dbPath: repoDbPath(sandbox.stateDir, repoId), repoId, root: "" }), (s) => s.getInvocation(inv))
      )
    )
    expect(invocation?.status).toBe("cancelled")
    // The rows say so too, as the next supervisor reports them.
    const next = await startSupervisor(sandbox)
    try {
      expect(await getJob(sandbox.socket, repo, inv, "two")).toMatchObject({ status: "cancelled" })
    } finally {
      await next.stop()
    }
  })

  it("a second SIGTERM during the stop does not cut it short: the job is still cancelled by shutdown, exit 0", async () => {
    sandbox = makeSandbox({ HOOKD_KILL_GRACE_MS: "1000" })
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const hookd = await startSupervisor(sandbox)
    // A job that ignores TERM holds the stop for the kill grace: the second signal arrives inside it.
    const inv = await start(sandbox.socket, runJobs(repo, [job("stubborn", "trap '' TERM; sleep 100")]))
    await awaitStarted(sandbox.socket, repo, inv, "stubborn")
    hookd.proc.kill("SIGTERM")
    await outputContains(hookd, '"event":"stopping"')
    hookd.proc.kill("SIGTERM")
    expect(await hookd.exited).toBe(0)
    expect(hookd.output()).toMatch(/"event":"stopped"/)
    expect(existsSync(sandbox.socket)).toBe(false)
    const repoId = readdirRepoId(sandbox.stateDir)
    expect((await storedRecords(sandbox.stateDir, repoId, inv, "stubborn")).at(-1)).toMatchObject({ data: { event: "cancelled", by: "shutdown" } })
  })

  it("SIGHUP (its terminal closed) stops it as gracefully as SIGTERM", async () => {
    sandbox = makeSandbox()
    const hookd = await startSupervisor(sandbox)
    hookd.proc.kill("SIGHUP")
    expect(await hookd.exited).toBe(0)
    expect(hookd.output()).toMatch(/"event":"stopping"[^\n]*"reason":"SIGHUP"/)
    expect(existsSync(sandbox.socket)).toBe(false)
  })

  it("a Shutdown request is acknowledged and the supervisor exits 0", async () => {
    sandbox = makeSandbox()
    const hookd = await startSupervisor(sandbox)
    const c = await TestClient.connect(sandbox.socket)
    expect(await c.request("Shutdown", {})).toMatchObject({ kind: "Ack" })
    expect(await hookd.exited).toBe(0)
    c.close()
  })
})

describe("singleton", () => {
  it("twenty concurrent starters end with one supervisor; the others exit 0 saying who runs", async () => {
    sandbox = makeSandbox()
    const starters = Array.from({ length: 20 }, () => {
      const proc = spawn(process.execPath, [HOOKD_BUNDLE], { env: sandbox!.env, stdio: ["ignore", "pipe", "pipe"] })
      let out = ""
      const started = new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          out += d
          if (out.includes('"event":"started"')) resolve()
        }
        proc.stdout.on("data", onData)
        proc.stderr.on("data", onData)
      })
      const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)))
      return { proc, output: () => out, started, exited }
    })
    // Whoever got the lock starts serving; every other starter exits by itself.
    const winner = await Promise.race(starters.map((s) => s.started.then(() => s)))
    const losers = starters.filter((s) => s !== winner)
    const codes = await Promise.all(losers.map((s) => s.exited))
    expect(codes).toEqual(losers.map(() => 0))
    for (const s of losers) expect(s.output()).toContain(`already running (pid ${winner.proc.pid})`)
    const c = await TestClient.connect(sandbox.socket)
    expect(payloadOf(await c.request("Status", {}), "SupervisorStatus").pid).toBe(winner.proc.pid)
    c.close()
    winner.proc.kill("SIGTERM")
    expect(await winner.exited).toBe(0)
  })
})

/** Resolves once the file contains `text`: checked now and on every change inotify reports. */
const untilFileContains = (path: string, text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const watcher = watch(path)
    const check = () => {
      if (!readFileSync(path, "utf8").includes(text)) return
      watcher.close()
      resolve()
    }
    watcher.on("change", check)
    watcher.on("error", reject)
    check()
  })

const readdirRepoId = (stateDir: string): string => readdirSync(join(stateDir, "repos")).filter((d) => /^[0-9a-f]{16}$/.test(d))[0]

describe("supervisor log", () => {
  it("writes each event once when its stderr is the log file itself (as hookctl's autostart arranges)", async () => {
    sandbox = makeSandbox()
    const { mkdirSync, openSync, closeSync } = await import("node:fs")
    mkdirSync(sandbox.stateDir, { recursive: true, mode: 0o700 })
    const logPath = join(sandbox.stateDir, "hookd.log")
    const fd = openSync(logPath, "a", 0o600)
    const proc = spawn(process.execPath, [HOOKD_BUNDLE], { env: sandbox.env, stdio: ["ignore", fd, fd], detached: true })
    closeSync(fd)
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)))
    // Its output goes to the file: the "started" line written there says it serves.
    await Promise.race([
      untilFileContains(logPath, '"event":"started"'),
      exited.then((code) => Promise.reject(new Error(`hookd exited (${code}) before it started:\n${readFileSync(logPath, "utf8")}`)))
    ])
    const c = await TestClient.connect(sandbox.socket)
    await c.request("Shutdown", {})
    c.close()
    expect(await exited).toBe(0)
    const events = readFileSync(logPath, "utf8").trim().split("\n").map((l) => JSON.parse(l).event)
    expect(events.filter((e) => e === "started")).toHaveLength(1)
    expect(events.filter((e) => e === "stopped")).toHaveLength(1)
  })
})
