// Fire-and-forget shims (issue 13), with real git, a real supervisor and the shims hooks install
// writes: a background-only hook hands its request over through <state>/spool/ without node, and
// produces the same rows as the hookctl path; drift, staleness, HOOKD=0/HOOKD_SKIP, and every kind
// of bad spool entry.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { execFileSync } from "node:child_process"
import { join } from "node:path"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { spoolDirPath, supervisorPidPath } from "../../src/protocol/paths"
import { git, runGit } from "../support/git"
import { hookctl, lsJson } from "../support/hookctl"
import { makeSandbox, outputContains, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { finished, getJob, hookctlRecorder, repoWithHooks } from "./helpers"

const BACKGROUND = "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: echo, run: 'printf \"%s|\" {args} \"$SPOOL_VALUE\"'}\n"

let sandbox: Sandbox
let hookd: RunningSupervisor | undefined
let counter = 0

beforeAll(() => {
  sandbox = makeSandbox()
  mkdirSync(join(sandbox.dir, "run"), { recursive: true, mode: 0o700 })
  return () => sandbox.cleanup()
})
afterEach(async () => {
  await hookd?.stopCleanly()
  hookd = undefined
})

const start = async () => {
  hookd = await startSupervisor(sandbox)
  return hookd
}
const newRepo = (config = BACKGROUND) => repoWithHooks(sandbox, join(sandbox.dir, `repo${counter++}`), config)
const shimOf = (repo: string, hook: string) => readFileSync(join(repo, ".git", "hooks", hook), "utf8")
const spoolEntries = () => readdirSync(spoolDirPath(sandbox.stateDir))

/** Waits (push-based, hookctl wait) for every job of the newest invocation, then lists them. */
const settled = async (repo: string): Promise<JobInfo[]> => {
  const w = await hookctl(sandbox, repo, ["wait", "--all"])
  expect(w.code, w.stderr).toBe(0)
  return lsJson(sandbox, repo, ["--limit", "0"])
}

/** A recorder standing in for hookctl: proves whether the shim fell back to the hookctl path. */
const recorder = () => hookctlRecorder(sandbox.dir, counter++, 0)

describe("hooks install", () => {
  it("writes a spool shim for a background-only hook and a hookctl shim for one git waits for", async () => {
    const repo = await newRepo(BACKGROUND + "  pre-commit:\n    jobs:\n      - {name: lint, run: 'true'}\n")
    expect(shimOf(repo, "post-checkout")).toContain("# hookd spool shim")
    expect(shimOf(repo, "post-checkout")).toContain(`hookd_fp='${execFileSync("cksum", ["hookd.yml"], { cwd: repo, encoding: "utf8" }).trim()}'`)
    expect(shimOf(repo, "pre-commit")).not.toContain("# hookd spool shim")
    expect(shimOf(repo, "pre-commit")).toContain("# hookd wait shim")
  })
})

describe("the spool path", () => {
  it("runs a background-only post-checkout without hookctl, visible to hookctl ls at once, with the same rows as the hookctl path", async () => {
    const { pid } = await start()
    const repo = await newRepo()
    const fake = recorder()
    // Any byte but NUL survives: newlines, quotes, a tab, non-ASCII.
    const env = { ...sandbox.env, HOOKD_HOOKCTL: fake.path, SPOOL_VALUE: "a\nb 'c' \"d\"\te ü" }

    const spooled = await runGit(repo, ["checkout", "-q", "-b", "via-spool"], env)
    expect(spooled.code, spooled.stderr).toBe(0)
    expect(fake.ran()).toBe("") // hookctl never ran
    const first = await lsJson(sandbox, repo) // no wait: the supervisor drains the spool first
    expect(first.map((j) => j.name)).toEqual(["echo"])
    // A background job's default is concurrency: replace — the next checkout would supersede a
    // spooled run not finished yet (it did at load 19): follow it to its end first.
    expect((await finished(sandbox.socket, repo, first[0]!.invocation_id, "echo")).status).toBe("completed")

    // The hookctl path: without the pid file the same shim falls back to hookctl run-hook.
    const pidFile = supervisorPidPath(sandbox.stateDir)
    rmSync(pidFile)
    const direct = await runGit(repo, ["checkout", "-q", "-b", "via-hookctl"], { ...env, HOOKD_HOOKCTL: "" })
    expect(direct.code, direct.stderr).toBe(0)
    writeFileSync(pidFile, `${pid}\n`)

    const jobs = await settled(repo)
    expect(jobs).toHaveLength(2)
    const [viaHookctl, viaSpool] = jobs // newest first
    const comparable = (j: JobInfo) => {
      // Ids, times and the pid (whose digits are in the log, hence log_bytes) differ between any two runs.
      const { invocation_id, queued_at, started_at, finished_at, duration_ms, pid, log_bytes, ...rest } = j
      return rest
    }
    expect(viaSpool.status).toBe("completed")
    // The args differ only by the branch names git passes: compare everything else, and the env.
    expect(comparable(viaSpool)).toEqual(comparable(viaHookctl))
    const full = async (j: JobInfo) => getJob(sandbox.socket, repo, j.invocation_id, j.name)
    expect((await full(viaSpool)).env_names).toEqual((await full(viaHookctl)).env_names)
    const logOf = async (j: JobInfo) => (await hookctl(sandbox, repo, ["logs", `${j.invocation_id.slice(0, 8)}:${j.name}`, "--stdout"])).stdout
    const spoolLog = await logOf(viaSpool)
    expect(spoolLog).toContain(`|1|${env.SPOOL_VALUE}|`)
    expect(spoolLog).toBe(await logOf(viaHookctl))
    expect(spoolEntries()).toEqual([])
  })

  it("HOOKD=0 spools nothing; HOOKD_SKIP records the job skipped", async () => {
    await start()
    const repo = await newRepo()
    const off = await runGit(repo, ["checkout", "-q", "-b", "off"], { ...sandbox.env, HOOKD: "0" })
    expect(off.code, off.stderr).toBe(0)
    expect(await lsJson(sandbox, repo)).toEqual([])
    const skipped = await runGit(repo, ["checkout", "-q", "-b", "skip"], { ...sandbox.env, HOOKD_SKIP: "echo" })
    expect(skipped.code, skipped.stderr).toBe(0)
    const [job] = await lsJson(sandbox, repo)
    expect([job.status, job.skip_reason]).toEqual(["skipped", "HOOKD_SKIP"])
  })

  it("falls back to hookctl when the config changed since install: a new foreground job is waited for", async () => {
    await start()
    const repo = await newRepo()
    writeFileSync(join(repo, "hookd.yml"), BACKGROUND + "      - {name: check, background: false, run: 'echo checked-in-foreground'}\n")
    const r = await runGit(repo, ["checkout", "-q", "-b", "drift"], sandbox.env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).toContain("checked-in-foreground") // waited: its output reached git's terminal
    const check = (await lsJson(sandbox, repo)).find((j) => j.name === "check")
    expect([check?.status, check?.background]).toEqual(["completed", false])
  })

  it("falls back to hookctl (which autostarts) when no supervisor runs", async () => {
    const repo = await newRepo()
    const fake = recorder()
    const r = await runGit(repo, ["checkout", "-q", "-b", "nobody"], { ...sandbox.env, HOOKD_HOOKCTL: fake.path })
    expect(r.code, r.stderr).toBe(0)
    const head = git(repo, ["rev-parse", "HEAD"]).trim()
    expect(fake.ran()).toBe(`run-hook post-checkout -- ${head} ${head} 1\n`)
    expect(spoolEntries()).toEqual([])
  })
})

describe("requests spooled while no supervisor ran", () => {
  /** Runs the shim as git would, with a pid file naming a live process that is not hookd. */
  const spoolWithoutSupervisor = async (repo: string, branch: string) => {
    mkdirSync(spoolDirPath(sandbox.stateDir), { recursive: true, mode: 0o700 })
    writeFileSync(supervisorPidPath(sandbox.stateDir), `${process.pid}\n`)
    const r = await runGit(repo, ["checkout", "-q", "-b", branch], { ...sandbox.env, HOOKD_HOOKCTL: "/nonexistent" })
    expect(r.code, r.stderr).toBe(0)
    const [file] = spoolEntries()
    expect(file).toMatch(/\.req$/)
    return join(spoolDirPath(sandbox.stateDir), file)
  }

  it("runs a fresh one at the next start and records an old one skipped (stale hook request)", async () => {
    const repo = await newRepo()
    await spoolWithoutSupervisor(repo, "fresh")
    await start()
    const [fresh] = await settled(repo)
    expect(fresh.status).toBe("completed")
    await hookd!.stopCleanly()
    hookd = undefined

    const old = await spoolWithoutSupervisor(repo, "old")
    const twoHoursAgo = Date.now() / 1000 - 7200
    utimesSync(old, twoHoursAgo, twoHoursAgo)
    await start()
    const [stale] = await lsJson(sandbox, repo)
    expect([stale.status, stale.skip_reason]).toEqual(["skipped", "stale hook request"])
    expect(spoolEntries()).toEqual([])
  })
})

describe("bad spool entries are refused (logged, deleted), and the supervisor goes on", () => {
  it.each([
    ["a directory", (path: string) => mkdirSync(path), "not a regular file"],
    ["a symbolic link", (path: string) => symlinkSync("/etc/passwd", path), "a symbolic link"],
    ["a file over the size cap", (path: string) => writeFileSync(path, Buffer.alloc(1024 * 1024 + 1, 65)), "more than the"],
    ["a malformed file", (path: string) => writeFileSync(path, "hookd-spool v1\0relative/path\0post-checkout\x000\0"), "not an absolute path"],
    ["a file without the header", (path: string) => writeFileSync(path, "GET / HTTP/1.1\0"), "not a hookd spool file"],
    ["a truncated file", (path: string) => writeFileSync(path, "hookd-spool v1\0/tmp"), "truncated"],
    ["another user's file", (path: string) => (writeFileSync(path, "x\0"), chownSync(path, 65534, 65534)), "not by this user"]
  ])("%s", async (_what, make, reason) => {
    if (reason === "not by this user" && process.getuid?.() !== 0) return // only root can give a file away
    const running = await start()
    // Made aside, then renamed in whole (as a shim does): the supervisor judges the finished entry.
    const aside = join(sandbox.dir, `bad${counter}.req`)
    const path = join(spoolDirPath(sandbox.stateDir), `bad${counter++}.req`)
    make(aside)
    renameSync(aside, path)
    await outputContains(running, `"event":"spool_refused"`)
    expect(running.output()).toContain(reason)
    expect(existsSync(path)).toBe(false)
    expect((await hookctl(sandbox, sandbox.dir, ["status"])).code).toBe(0)
  })
})
