// The spawner helpers listen on nothing (a job's output comes over their IPC channel, or as its
// pipe), so a supervisor killed with -9 leaves nothing behind in $TMPDIR or its run dir; a
// `spawner-<n>.sock` an older version left in the run dir is removed when that helper starts.
// hookd-spawn-* dirs that older supervisors left in $TMPDIR are removed at start when dead, kept
// when alive.
import { spawn } from "node:child_process"
import { lstatSync, mkdirSync, readdirSync, utimesSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { makeGitRepo } from "../support/git"
import { makeSandbox, outputContains, startSupervisor, type Sandbox } from "../support/supervisor"
import { finished, job, runJobs, start } from "./helpers"

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

const spawnDirs = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith("hookd-spawn-"))
const spawnerFiles = (sandbox: Sandbox) => readdirSync(join(sandbox.stateDir, "run")).filter((n) => n.startsWith("spawner"))

/** A process listening on `path` (a live supervisor's socket), or — after `kill -9` — a stale socket file. */
const listenOn = async (path: string) => {
  const proc = spawn(process.execPath, ["-e", `require("node:net").createServer().listen(process.argv[1], () => console.log("up"))`, path], { stdio: ["ignore", "pipe", "inherit"] })
  await new Promise<void>((resolve) => proc.stdout!.once("data", () => resolve()))
  return proc
}

describe("the spawner's sockets", () => {
  it("is none: a kill -9 leaves nothing in $TMPDIR, an older version's socket goes, and the next supervisor runs jobs", async () => {
    sandbox = makeSandbox()
    const tmp = (sandbox.env.TMPDIR = join(sandbox.dir, "tmp"))
    mkdirSync(tmp)
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    // What a helper of an older version left behind (it listened there for the jobs' output).
    mkdirSync(join(sandbox.stateDir, "run"), { recursive: true, mode: 0o700 })
    const older = await listenOn(join(sandbox.stateDir, "run", "spawner-0.sock"))
    older.kill("SIGKILL")
    await new Promise((resolve) => older.once("exit", resolve))
    expect(lstatSync(join(sandbox.stateDir, "run", "spawner-0.sock")).isSocket()).toBe(true)
    const first = await startSupervisor(sandbox)
    try {
      const inv = await start(sandbox.socket, runJobs(repo, [job("one", "echo one")]))
      expect((await finished(sandbox.socket, repo, inv, "one")).status).toBe("completed")
      expect(spawnerFiles(sandbox)).toEqual([])
      expect(spawnDirs(tmp)).toEqual([])
    } finally {
      await first.stop("SIGKILL")
    }

    const second = await startSupervisor(sandbox)
    try {
      const again = await start(sandbox.socket, runJobs(repo, [job("two", "echo two")]))
      expect((await finished(sandbox.socket, repo, again, "two")).status).toBe("completed")
      expect(spawnDirs(tmp)).toEqual([])
    } finally {
      await second.stopCleanly()
    }
    expect(spawnerFiles(sandbox)).toEqual([])
  })

  it("hookd-spawn-* dirs in $TMPDIR: a dead one (socket refused, or none for over a minute) is removed at start, a live one kept", async () => {
    sandbox = makeSandbox()
    const tmp = (sandbox.env.TMPDIR = join(sandbox.dir, "tmp"))
    const stale = join(tmp, "hookd-spawn-stale1")
    const unbound = join(tmp, "hookd-spawn-unbound")
    const fresh = join(tmp, "hookd-spawn-fresh1")
    const live = join(tmp, "hookd-spawn-live01")
    for (const dir of [stale, unbound, fresh, live]) mkdirSync(dir, { recursive: true })
    const killed = await listenOn(join(stale, "out.sock"))
    killed.kill("SIGKILL")
    await new Promise((resolve) => killed.once("exit", resolve))
    const old = new Date(Date.now() - 120_000)
    utimesSync(unbound, old, old)
    const alive = await listenOn(join(live, "out.sock"))
    try {
      const hookd = await startSupervisor(sandbox)
      try {
        await outputContains(hookd, '"event":"stale_spawner_dirs_removed"')
        expect(spawnDirs(tmp).sort()).toEqual(["hookd-spawn-fresh1", "hookd-spawn-live01"])
      } finally {
        await hookd.stopCleanly()
      }
    } finally {
      alive.kill()
    }
  })
})
