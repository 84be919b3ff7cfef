// The clean-stop marker (issue 13): after a graceful stop the next start opens no repository (and
// loads no SQLite); after kill -9, or with a marker that cannot be trusted, it reconciles everything.
import { execFileSync } from "node:child_process"
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { makeGitRepo } from "../support/git"
import { makeSandbox, outputContains, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { awaitStarted, finished, getJob, job, listJobs, runJobs, start } from "./helpers"

let sandbox: Sandbox | undefined
const running: RunningSupervisor[] = []
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop("SIGKILL")
  sandbox?.cleanup()
  sandbox = undefined
})

const supervise = async (box: Sandbox): Promise<RunningSupervisor> => {
  const hookd = await startSupervisor(box)
  running.push(hookd)
  return hookd
}

const startedLine = (hookd: RunningSupervisor): Record<string, unknown> => {
  const line = hookd.output().split("\n").find((l) => l.includes('"event":"started"'))
  expect(line, hookd.output()).toBeDefined()
  return JSON.parse(line!) as Record<string, unknown>
}

const markerPath = (box: Sandbox) => join(box.stateDir, "clean-stop")

/** A supervisor that ran one job in `repo` and stopped with SIGTERM. */
const historyThenCleanStop = async (box: Sandbox, repo: string): Promise<string> => {
  const first = await supervise(box)
  const inv = await start(box.socket, runJobs(repo, [job("build", "echo built")]))
  expect(await finished(box.socket, repo, inv, "build")).toMatchObject({ status: "completed" })
  await first.stopCleanly()
  running.splice(running.indexOf(first), 1)
  return inv
}

describe("start after a clean stop", () => {
  it("opens no repository and loads no SQLite at start; the first ListJobs and RunJobs work", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const inv = await historyThenCleanStop(sandbox, repo)
    const marker = lstatSync(markerPath(sandbox))
    expect(marker.isFile()).toBe(true)
    expect(marker.mode & 0o777).toBe(0o600)
    const written = JSON.parse(readFileSync(markerPath(sandbox), "utf8")) as { swept_at: number }
    expect(written).toMatchObject({ version: expect.any(String), pid: expect.any(Number), stopped_at: expect.any(Number), swept_at: expect.any(Number) })

    const second = await supervise(sandbox)
    // Taken at start: a crash of this run must leave none.
    expect(existsSync(markerPath(sandbox))).toBe(false)
    expect(startedLine(second)).toMatchObject({ repos: 0, start_pass: "skipped (clean stop)", sqlite_loaded: false })
    expect(second.output()).toMatch(/"event":"clean_stop_marker".*"found":"valid"/)
    // The start-up work is done without the start sweep: the after-start collection still comes.
    await outputContains(second, '"collection":"after-start"')
    expect(second.output()).not.toMatch(/"event":"retention_sweep"/)
    expect(second.output()).toMatch(/"event":"retention_sweep_skipped"/)
    expect(second.output()).not.toMatch(/"event":"reconciled"/)

    expect((await listJobs(sandbox.socket, { repo_root: repo })).map((j) => [j.invocation_id, j.name, j.status])).toEqual([[inv, "build", "completed"]])
    const again = await start(sandbox.socket, runJobs(repo, [job("after", "echo ok")]))
    expect(await finished(sandbox.socket, repo, again, "after")).toMatchObject({ status: "completed" })
    await second.stopCleanly()
    running.splice(running.indexOf(second), 1)
    // Its own clean stop leaves a marker again, with the sweep time it inherited (it swept nothing
    // itself): restarts inside the hour do not postpone the hourly sweep.
    expect(lstatSync(markerPath(sandbox)).isFile()).toBe(true)
    expect(JSON.parse(readFileSync(markerPath(sandbox), "utf8"))).toMatchObject({ swept_at: written.swept_at })
  })

  const staleSweeps: ReadonlyArray<[string, (marker: Record<string, unknown>) => Record<string, unknown>]> = [
    ["its last full sweep is over an hour old", (marker) => ({ ...marker, swept_at: Date.now() - 2 * 3600_000 })],
    ["it does not say when the last sweep was (2ad820b's marker)", ({ swept_at: _, ...marker }) => marker]
  ]
  for (const [name, edit] of staleSweeps) {
    it(`a clean stop whose marker ${name}: the start sweep runs (a supervisor that idles out and restarts still sweeps)`, async () => {
      sandbox = makeSandbox()
      const repo = makeGitRepo(join(sandbox.dir, "repo"))
      await historyThenCleanStop(sandbox, repo)
      writeFileSync(markerPath(sandbox), JSON.stringify(edit(JSON.parse(readFileSync(markerPath(sandbox), "utf8")))), { mode: 0o600 })
      const hookd = await supervise(sandbox)
      await outputContains(hookd, '"event":"retention_sweep"')
      expect(hookd.output()).toMatch(/"event":"clean_stop_marker".*"found":"valid"/)
      expect(hookd.output()).toMatch(/"event":"retention_sweep".*"reason":"start"/)
      expect(hookd.output()).not.toMatch(/"event":"retention_sweep_skipped"/)
      await hookd.stopCleanly()
      running.splice(running.indexOf(hookd), 1)
      // This run's own sweep is what the next marker carries.
      const swept = (JSON.parse(readFileSync(markerPath(sandbox), "utf8")) as { swept_at: number }).swept_at
      expect(Date.now() - swept).toBeLessThan(3600_000)
    })
  }

  it("kill -9 leaves no marker: the next start opens and reconciles every repository", async () => {
    sandbox = makeSandbox()
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    await historyThenCleanStop(sandbox, repo)
    const second = await supervise(sandbox)
    const inv = await start(sandbox.socket, runJobs(repo, [job("orphan", "sleep 100")]))
    await awaitStarted(sandbox.socket, repo, inv, "orphan")
    await second.stop("SIGKILL")
    expect(existsSync(markerPath(sandbox))).toBe(false)

    const third = await supervise(sandbox)
    expect(startedLine(third)).toMatchObject({ repos: 1, start_pass: "opened all", sqlite_loaded: true })
    expect(third.output()).toMatch(/"event":"clean_stop_marker".*"found":"none"/)
    expect(third.output()).toMatch(/"event":"reconciled"/)
    expect(await getJob(sandbox.socket, repo, inv, "orphan")).toMatchObject({ status: "crashed" })
  })

  const untrusted: ReadonlyArray<[string, (box: Sandbox, valid: string) => void, RegExp]> = [
    ["a symlink to a valid marker", (box, valid) => {
      const target = join(box.dir, "elsewhere")
      writeFileSync(target, valid, { mode: 0o600 })
      symlinkSync(target, markerPath(box))
    }, /a symlink/],
    ["garbled", (box) => writeFileSync(markerPath(box), "{\"stopped_at\":", { mode: 0o600 }), /garbled/],
    ["JSON of the wrong shape", (box) => writeFileSync(markerPath(box), JSON.stringify({ stopped_at: "yesterday", pid: 1, version: "x" }), { mode: 0o600 }), /garbled/],
    ["a directory", (box) => mkdirSync(markerPath(box)), /not a regular file/],
    ["a fifo", (box) => execFileSync("mkfifo", [markerPath(box)]), /not a regular file/],
    ...(process.getuid?.() === 0
      ? [["another user's file", (box: Sandbox, valid: string) => {
          writeFileSync(markerPath(box), valid, { mode: 0o600 })
          chownSync(markerPath(box), 65534, 65534)
        }, /owned by uid 65534/] as [string, (box: Sandbox, valid: string) => void, RegExp]]
      : [])
  ]
  for (const [name, make, reason] of untrusted) {
    it(`a marker that is ${name} is not trusted: full start-up pass`, async () => {
      sandbox = makeSandbox()
      const repo = makeGitRepo(join(sandbox.dir, "repo"))
      await historyThenCleanStop(sandbox, repo)
      const valid = readFileSync(markerPath(sandbox), "utf8")
      unlinkSync(markerPath(sandbox))
      make(sandbox, valid)
      const hookd = await supervise(sandbox)
      expect(startedLine(hookd)).toMatchObject({ repos: 1, start_pass: "opened all" })
      expect(hookd.output()).toMatch(new RegExp(`"event":"clean_stop_marker".*"found":"invalid".*${reason.source}`))
      // Removed (a directory cannot be: it stays, and every start reconciles everything).
      if (name !== "a directory") expect(existsSync(markerPath(sandbox))).toBe(false)
    })
  }
})
