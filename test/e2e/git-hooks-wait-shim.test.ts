// Wait shims (issue 13: a waited pre-commit without node), with real git, a real supervisor and the
// shims hooks install writes, run by dash (/bin/sh) and by bash: a hook git waits for is handed over
// through <state>/spool and fifos in <state>/wait/<pid>, and must end exactly as the node path
// (`HOOKD_SPOOL=0`: hookctl run-hook) ends — the same stdout, stderr and exit code, the same rows —
// including when the supervisor dies before or after it took the request, when the shim is killed
// mid-job, and when a request file is bad.
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, watch, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { spoolDirPath, waitDirPath } from "../../src/protocol/paths"
import { git, runGit, type GitResult } from "../support/git"
import { hookctl, lsJson } from "../support/hookctl"
import { makeSandbox, outputContains, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { hookctlRecorder, repoWithHooks } from "./helpers"

const SHELLS = ["/bin/sh", "/bin/bash"].filter((shell) => existsSync(shell))

let sandbox: Sandbox
let hookd: RunningSupervisor | undefined
let counter = 0

beforeAll(() => {
  sandbox = makeSandbox()
})
afterAll(() => sandbox.cleanup())
afterEach(async () => {
  if (hookd !== undefined && hookd.proc.exitCode === null && hookd.proc.signalCode === null) await hookd.stopCleanly()
  hookd = undefined
  // A supervisor the node path autostarted (after a killed one) goes too.
  await hookctl(sandbox, sandbox.dir, ["shutdown"], { HOOKD_NO_AUTOSTART: "1" })
})

const start = async () => {
  hookd = await startSupervisor(sandbox)
  return hookd
}

/** A repo with `config`, its shims installed and run by `shell`. */
const newRepo = async (shell: string, config: string) => {
  const repo = await repoWithHooks(sandbox, join(sandbox.dir, `repo${counter++}`), config)
  const hooks = join(repo, ".git", "hooks")
  for (const name of readdirSync(hooks).filter((n) => !n.endsWith(".sample"))) {
    const path = join(hooks, name)
    writeFileSync(path, readFileSync(path, "utf8").replace(/^#!\/bin\/sh\n/, `#!${shell}\n`))
  }
  return repo
}

/** A stand-in for hookctl that only records that it ran: proves the fifo path never started node. */
const recorder = () => hookctlRecorder(sandbox.dir, counter++, 99)

/** Durations and invocation ids differ between any two runs; nothing else may. */
const normalized = (text: string) => text.replace(/ *\b\d+(\.\d+)?(ms|s)\b/g, " <t>").replace(/\b[0-9a-f]{8}:/g, "<id>:")

const comparable = (j: JobInfo) => {
  const { invocation_id, queued_at, started_at, finished_at, duration_ms, pid, log_bytes, ...rest } = j
  return rest
}

/** The newest invocation's jobs, once all ended. */
const newestRows = async (repo: string): Promise<JobInfo[]> => {
  // Exit 1 when a job it waited for did not complete (a cancelled one): the rows say which.
  const w = await hookctl(sandbox, repo, ["wait", "--all"])
  expect([0, 1], w.stderr).toContain(w.code)
  const jobs = await lsJson(sandbox, repo, ["--limit", "0"])
  const newest = jobs[0]!.invocation_id
  return jobs.filter((j) => j.invocation_id === newest).sort((a, b) => a.name.localeCompare(b.name))
}

const spoolEntries = () => readdirSync(spoolDirPath(sandbox.stateDir))
const waitEntries = () => (existsSync(waitDirPath(sandbox.stateDir)) ? readdirSync(waitDirPath(sandbox.stateDir)) : [])

/** Runs git's command through the fifo path (hookctl replaced by a recorder), then through the node path. */
const bothPaths = async (repo: string, args: (path: "fifo" | "node") => string[], extraEnv: Record<string, string> = {}) => {
  const fake = recorder()
  const fifo = await runGit(repo, args("fifo"), { ...sandbox.env, ...extraEnv, HOOKD_HOOKCTL: fake.path })
  expect(fake.ran()).toBe("") // no node on the hook's side
  const fifoRows = await newestRows(repo)
  const node = await runGit(repo, args("node"), { ...sandbox.env, ...extraEnv, HOOKD_SPOOL: "0" })
  const nodeRows = await newestRows(repo)
  expect(fifoRows[0]!.invocation_id).not.toBe(nodeRows[0]!.invocation_id)
  return { fifo, node, fifoRows, nodeRows }
}

const expectSameEnd = (fifo: GitResult, node: GitResult) => {
  expect(fifo.code).toBe(node.code)
  expect(fifo.stdout).toBe(node.stdout)
  expect(normalized(fifo.stderr)).toBe(normalized(node.stderr))
}

const commit = (message: string) => ["commit", "-q", "--allow-empty", "-m", message]

/** git running in the background (in a process group of its own), its stderr watched as it comes. */
const gitInBackground = (repo: string, args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn("git", args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"], detached: true })
  let stdout = ""
  let stderr = ""
  const seen: Array<{ text: string; resolve: () => void }> = []
  child.stdout.on("data", (d) => (stdout += d))
  child.stderr.on("data", (d) => {
    stderr += d
    for (const w of seen.filter((w) => stderr.includes(w.text))) w.resolve()
  })
  const done = new Promise<GitResult>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })))
  return {
    child,
    done,
    said: (text: string) => new Promise<void>((resolve) => (stderr.includes(text) ? resolve() : seen.push({ text, resolve })))
  }
}

/** The hook process git runs (its only child): the sh shim, or node once the shim exec'd it. */
const hookProcessOf = (gitPid: number): number => {
  const children = readFileSync(`/proc/${gitPid}/task/${gitPid}/children`, "utf8").trim().split(/\s+/)
  expect(children).toHaveLength(1)
  return Number(children[0])
}

/** Resolves once an entry matching `test` is in `dir` (fs.watch, no polling). */
const entryAppears = (dir: string, test: (name: string) => boolean) =>
  new Promise<string>((resolve) => {
    const watcher = watch(dir, () => check())
    const check = () => {
      const found = readdirSync(dir).find(test)
      if (found !== undefined) {
        watcher.close()
        resolve(found)
      }
    }
    check()
  })

const gate = () => join(sandbox.dir, `gate${counter++}`)
const waitForGate = (path: string) => `while [ ! -e '${path}' ]; do sleep 0.02; done`

describe("hooks install", () => {
  it("writes a wait shim for a hook git waits for, saving stdin only for the hooks git feeds it", async () => {
    const repo = await newRepo("/bin/sh", "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'true'}\n  pre-push:\n    jobs:\n      - {name: test, run: 'true'}\n  post-checkout:\n    background: true\n    jobs:\n      - {name: bg, run: 'true'}\n")
    const shim = (hook: string) => readFileSync(join(repo, ".git", "hooks", hook), "utf8")
    expect(shim("pre-commit")).toContain("# hookd wait shim")
    expect(shim("pre-commit")).not.toContain(`"$hookd_d/stdin"`)
    expect(shim("pre-push")).toContain(`cat > "$hookd_d/stdin"`)
    expect(shim("post-checkout")).toContain("# hookd spool shim")
    expect(shim("post-checkout")).not.toContain("# hookd wait shim")
    const status = await hookctl(sandbox, repo, ["hooks", "status"])
    expect(status.stdout).toMatch(
      /installed\s+post-checkout, pre-commit, pre-push {2}\(background only, without node: post-checkout; waited, without node while hookd runs: pre-commit, pre-push\)/
    )
    const json = await hookctl(sandbox, repo, ["hooks", "status", "--format", "json"])
    expect(JSON.parse(json.stdout)).toMatchObject({ spool: ["post-checkout"], wait: ["pre-commit", "pre-push"] })
  })
})

describe.each(SHELLS)("the wait shim run by %s", (shell) => {
  it("a passing pre-commit: the same output, exit code and rows as the node path, without node", async () => {
    await start()
    const repo = await newRepo(shell, "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'echo to-stdout; printf \"%s|\" \"$WAIT_VALUE\"'}\n")
    const env = { WAIT_VALUE: "a\nb 'c' \"d\"\te ü" }
    const { fifo, node, fifoRows, nodeRows } = await bothPaths(repo, (p) => commit(p), env)
    expect(fifo.code, fifo.stderr).toBe(0)
    expect(fifo.stderr).toContain("to-stdout\n")
    expect(fifo.stderr).toContain(`${env.WAIT_VALUE}|`)
    expect(fifo.stderr).toContain("hookd: pre-commit summary")
    expectSameEnd(fifo, node)
    expect(fifoRows.map(comparable)).toEqual(nodeRows.map(comparable))
    expect(git(repo, ["log", "-2", "--format=%s"]).trim()).toBe("node\nfifo")
    expect(spoolEntries()).toEqual([])
    expect(waitEntries()).toEqual([])
  })

  it("a failing pre-commit refuses the commit with the same message and exit code", async () => {
    await start()
    const repo = await newRepo(shell, "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'echo lint-failed >&2; exit 3'}\n")
    const before = git(repo, ["rev-parse", "HEAD"]).trim()
    const { fifo, node, fifoRows, nodeRows } = await bothPaths(repo, (p) => commit(p))
    expect(fifo.code).toBe(1)
    expect(fifo.stderr).toContain("lint-failed")
    expect(fifo.stderr).toContain("exit 3 — hookctl logs")
    expect(fifo.stderr).toContain("hookd: pre-commit failed — to go on anyway: git commit --no-verify")
    expectSameEnd(fifo, node)
    expect(fifoRows.map(comparable)).toEqual(nodeRows.map(comparable))
    expect(fifoRows[0]!.status).toBe("failed")
    expect(git(repo, ["rev-parse", "HEAD"]).trim()).toBe(before)
  })

  it("several jobs (one added after install: no fingerprint, the config is read at each run): [name] prefixes", async () => {
    await start()
    const repo = await newRepo(shell, "hooks:\n  pre-commit:\n    jobs:\n      - {name: one, run: 'echo first'}\n")
    writeFileSync(join(repo, "hookd.yml"), "hooks:\n  pre-commit:\n    jobs:\n      - {name: one, run: 'echo first'}\n      - {name: two, needs: [one], run: 'echo second-err >&2'}\n")
    const { fifo, node, fifoRows, nodeRows } = await bothPaths(repo, (p) => commit(p))
    expect(fifo.code, fifo.stderr).toBe(0)
    // Each job writes to one stream: the order of two streams of one job is not fixed on either path.
    expect(fifo.stderr).toContain("[one] first\n")
    expect(fifo.stderr).toContain("[two] second-err\n")
    expectSameEnd(fifo, node)
    expect(fifoRows.map(comparable)).toEqual(nodeRows.map(comparable))
  })

  it("a pre-push gets git's stdin, as through the node path", async () => {
    await start()
    const repo = await newRepo(shell, "hooks:\n  pre-push:\n    jobs:\n      - {name: refs, run: 'cat; echo to-stderr >&2'}\n")
    const remote = (name: string) => {
      const bare = join(sandbox.dir, `remote${counter++}.git`)
      git(sandbox.dir, ["init", "-q", "--bare", bare])
      git(repo, ["remote", "add", name, bare])
    }
    remote("fifo")
    remote("node")
    const { fifo, node, fifoRows, nodeRows } = await bothPaths(repo, (p) => ["push", "-q", p, "main"])
    expect(fifo.code, fifo.stderr).toBe(0)
    const head = git(repo, ["rev-parse", "HEAD"]).trim()
    // git push leaves the hook's stdout on its own stdout.
    expect(fifo.stdout).toBe(`refs/heads/main ${head} refs/heads/main 0000000000000000000000000000000000000000\n`)
    expect(fifo.stderr).toMatch(/^to-stderr\nhookd: pre-push summary\n/)
    expectSameEnd(fifo, node)
    expect(fifoRows.map(comparable)).toEqual(nodeRows.map(comparable))
  })

  it("HOOKD=0 runs nothing; no supervisor, no mkfifo, or no mv: the node path (hookctl run-hook)", async () => {
    const repo = await newRepo(shell, "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'echo linted'}\n")
    const fake = recorder()
    const off = await runGit(repo, commit("off"), { ...sandbox.env, HOOKD: "0", HOOKD_HOOKCTL: fake.path })
    expect(off.code, off.stderr).toBe(0)
    expect(fake.ran()).toBe("")

    const nobody = await runGit(repo, commit("nobody"), { ...sandbox.env, HOOKD_HOOKCTL: fake.path })
    expect(nobody.code).not.toBe(0) // the recorder's 99: the shim handed over to hookctl
    expect(fake.ran()).toBe("run-hook pre-commit --\n")

    await start()
    /** A PATH of just these tools (links to the system's), plus `scripts` written in it. */
    const pathOf = (tools: ReadonlyArray<string>, scripts: Record<string, string> = {}): string => {
      const bin = join(sandbox.dir, `bin${counter++}`)
      mkdirSync(bin)
      for (const [name, text] of Object.entries(scripts)) writeFileSync(join(bin, name), text, { mode: 0o755 })
      for (const tool of tools) {
        for (const dir of ["/usr/bin", "/bin"]) {
          if (existsSync(join(dir, tool)) && !existsSync(join(bin, tool))) symlinkSync(join(dir, tool), join(bin, tool))
        }
      }
      return bin
    }
    /** The hook run with `path`: the shim hands over to hookctl, and leaves nothing in wait/ or the spool. */
    const handsOverToHookctl = async (message: string, path: string) => {
      const fake = recorder()
      const r = await runGit(repo, commit(message), { ...sandbox.env, PATH: path, HOOKD_HOOKCTL: fake.path })
      expect(r.code).not.toBe(0) // the recorder's 99
      expect(fake.ran()).toBe("run-hook pre-commit --\n")
      expect(waitEntries()).toEqual([])
      expect(spoolEntries()).toEqual([])
    }
    // A PATH with everything the shim and git use but mkfifo.
    await handsOverToHookctl("no mkfifo", pathOf(["git", "mkdir", "cat", "env", "mv", "rm", "sleep", "bash", "sh", "dash"]))
    // A PATH with mkfifo but no mv: the fifos and their cats exist, the request cannot be handed
    // over — the shim ends its cats and takes the node path. The cats come late to their opens
    // (a fault injected, not a wait): a one-off release done before they opened left them blocked
    // for good, and git with them.
    const lateCat = `#!/bin/sh\nsleep 0.3\nexec /bin/cat "$@"\n`
    await handsOverToHookctl("no mv", pathOf(["git", "mkdir", "mkfifo", "env", "rm", "sleep", "bash", "sh", "dash"], { cat: lateCat }))
  })

  it("the supervisor killed (-9) before it took the request: the shim falls back to hookctl, which runs the jobs once", async () => {
    const running = await start()
    const repo = await newRepo(shell, "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'echo ran-once'}\n")
    process.kill(running.pid, "SIGSTOP")
    const run = gitInBackground(repo, commit("after a crash"), sandbox.env)
    await entryAppears(spoolDirPath(sandbox.stateDir), (name) => name.endsWith(".req"))
    process.kill(running.pid, "SIGKILL")
    expect(await running.exited).toBe("SIGKILL")
    const r = await run.done
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.split("ran-once")).toHaveLength(2) // printed once
    const jobs = await lsJson(sandbox, repo, ["--limit", "0"])
    expect(jobs.map((j) => [j.name, j.status])).toEqual([["lint", "completed"]]) // run once, by the hookctl path
    expect(spoolEntries()).toEqual([])
    expect(waitEntries()).toEqual([])
  })

  it("the supervisor killed (-9) mid-job: refused with the bypass hint, as the node path refuses", async () => {
    const results: GitResult[] = []
    for (const path of ["fifo", "node"] as const) {
      const running = await start()
      const open = gate()
      const repo = await newRepo(shell, `hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: "echo started; ${waitForGate(open)}"}\n`)
      const env = { ...sandbox.env, HOOKD_NO_AUTOSTART: "1", ...(path === "node" && { HOOKD_SPOOL: "0" }) }
      const before = git(repo, ["rev-parse", "HEAD"]).trim()
      const run = gitInBackground(repo, commit(path), env)
      await run.said("started\n")
      process.kill(running.pid, "SIGKILL")
      expect(await running.exited).toBe("SIGKILL")
      const r = await run.done
      results.push(r)
      expect(git(repo, ["rev-parse", "HEAD"]).trim()).toBe(before)
      writeFileSync(open, "") // the job may end now
    }
    const [fifo, node] = results
    expect(fifo!.code).toBe(1)
    expect(fifo!.stderr).toContain("hookd closed the connection")
    expect(fifo!.stderr).toContain("to skip this hook once: git commit --no-verify")
    expectSameEnd(fifo!, node!)
  })

  it("the shim killed (-9) mid-job: its waited job is cancelled, as when hookctl run-hook disconnects", async () => {
    await start()
    const rows: JobInfo[][] = []
    const ends: GitResult[] = []
    for (const path of ["fifo", "node"] as const) {
      const repo = await newRepo(shell, `hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: "echo started; ${waitForGate(gate())}"}\n`)
      const env = { ...sandbox.env, ...(path === "node" && { HOOKD_SPOOL: "0" }) }
      const run = gitInBackground(repo, commit(path), env)
      await run.said("started\n")
      process.kill(hookProcessOf(run.child.pid!), "SIGKILL")
      ends.push(await run.done)
      rows.push(await newestRows(repo))
    }
    const [fifo, node] = rows
    expect(fifo!.map((j) => j.status)).toEqual(["cancelled"])
    // Two repos (a gate each): all but the paths and the repo's id.
    const sameRepo = (j: JobInfo) => {
      const { command, repo_id, repo_root, worktree, ...rest } = comparable(j) as JobInfo
      return rest
    }
    expect(fifo!.map(sameRepo)).toEqual(node!.map(sameRepo))
    expect(ends[0]!.code).toBe(ends[1]!.code)
    expect(ends[0]!.code).not.toBe(0)
    expect(waitEntries()).toEqual([])
  })
})

describe.each(SHELLS)("Ctrl-C on git commit, the wait shim run by %s", (shell) => {
  it("SIGINT to git's process group cancels the waited job and prints nothing more, as with hookctl run-hook", async () => {
    await start()
    const rows: JobInfo[][] = []
    const ends: GitResult[] = []
    for (const path of ["fifo", "node"] as const) {
      const open = gate()
      const repo = await newRepo(shell, `hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: "echo started; ${waitForGate(open)}"}\n`)
      const env = { ...sandbox.env, ...(path === "node" && { HOOKD_SPOOL: "0" }) }
      const run = gitInBackground(repo, commit(path), env)
      await run.said("started\n")
      process.kill(-run.child.pid!, "SIGINT") // what the terminal sends to the foreground job
      ends.push(await run.done)
      rows.push(await newestRows(repo))
      writeFileSync(open, "")
    }
    const [fifo, node] = ends
    expect(rows[0]!.map((j) => [j.status, j.error])).toEqual([["cancelled", "cancelled by client disconnected"]])
    expect(rows[1]!.map((j) => [j.status, j.error])).toEqual([["cancelled", "cancelled by client disconnected"]])
    expect(fifo!.stderr).toBe("started\n")
    expectSameEnd(fifo!, node!)
  })
})

describe("bad wait requests are refused (logged, deleted), and the supervisor goes on", () => {
  const request = (dir: string, flags = "") =>
    `hookd-wait v1\0${dir}\0${flags}\0${sandbox.dir}\0pre-commit\x000\0HOME=${sandbox.dir}\0`

  it.each([
    ["a relative request directory", () => request("wait/1"), "not an absolute path"],
    ["malformed flags", () => request(join(waitDirPath(sandbox.stateDir), "1"), "x"), "flags are missing or malformed"],
    ["a directory outside <state>/wait", () => {
      const dir = join(sandbox.dir, `${process.pid}`)
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      return request(dir)
    }, "is not in"],
    ["a directory other users can open", () => {
      const dir = join(waitDirPath(sandbox.stateDir), "12345")
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      chmodSync(dir, 0o755)
      return request(dir)
    }, "accessible to other users"],
    ["a symbolic link", () => {
      const dir = join(waitDirPath(sandbox.stateDir), "23456")
      symlinkSync(sandbox.dir, dir)
      return request(dir)
    }, "not a directory"],
    ["a directory without its fifos", () => {
      const dir = join(waitDirPath(sandbox.stateDir), "34567")
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      return request(dir)
    }, "cannot open its live fifo"],
    ["a live fifo that is a regular file", () => {
      const dir = join(waitDirPath(sandbox.stateDir), "45678")
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      writeFileSync(join(dir, "live"), "")
      return request(dir)
    }, "not a fifo"]
  ])("%s", async (_what, make, reason) => {
    const running = await start()
    const aside = join(sandbox.dir, `bad${counter}.req`)
    const path = join(spoolDirPath(sandbox.stateDir), `bad${counter++}.req`)
    writeFileSync(aside, make())
    renameSync(aside, path)
    await outputContains(running, `"event":"spool_refused"`)
    expect(running.output()).toContain(reason)
    expect(existsSync(path)).toBe(false)
    expect((await hookctl(sandbox, sandbox.dir, ["status"])).code).toBe(0)
  })
})

// A request hookd does not serve is left to the shim's hookctl: the shim reads EOF on `code` and its
// cats EOF on `out`/`err`. The shim opens `code` only after it spooled the request (its cats start in
// the background), so under load hookd reads the request before any reader is there: the readers here
// open only after hookd logged what it did, and must still be let go (not wait for the 30 s watchdog).
describe("a wait request hookd leaves to hookctl lets the shim's readers go, even those that come after", () => {
  // Undone after each test, also one that timed out (its body never reaches a finally): a reader
  // left blocked in open(2) would outlive the run.
  const readers: Array<{ readonly child: ChildProcess; readonly read: Promise<string> }> = []
  const lives: number[] = []
  afterEach(() => {
    for (const r of readers.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill()
    for (const fd of lives.splice(0)) closeSync(fd)
  })
  /** What a shim makes before it spools: `<state>/wait/<n>` with its fifos, `live` held open (fd 3). */
  const shimDir = () => {
    const dir = join(waitDirPath(sandbox.stateDir), `${900000 + counter++}`)
    mkdirSync(dir, { mode: 0o700 })
    execFileSync("mkfifo", ["-m", "600", ...["out", "err", "code", "live"].map((name) => join(dir, name))])
    const live = openSync(join(dir, "live"), "r+")
    lives.push(live)
    return { dir, live }
  }
  const spool = (dir: string, flags: string, worktree: string, env: Record<string, string>) => {
    const aside = join(sandbox.dir, `wait${counter}.req`)
    const envText = Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join("")
    writeFileSync(aside, `hookd-wait v1\0${dir}\0${flags}\0${worktree}\0pre-commit\x000\0${envText}`)
    renameSync(aside, join(spoolDirPath(sandbox.stateDir), `${counter++}.req`))
  }
  /** A reader as the shim's `cat`s and its `read < code` are: resolves with what it read, at EOF. */
  const reader = (path: string) => {
    const child = spawn("cat", [path], { stdio: ["ignore", "pipe", "inherit"] })
    let text = ""
    child.stdout.on("data", (d) => (text += d))
    const made = { child, read: new Promise<string>((resolve) => child.on("close", () => resolve(text))) }
    readers.push(made)
    return made
  }
  const other = () => ({ ...sandbox.env, HOOKD_SOCKET: join(sandbox.dir, "another.sock") })

  it.each([
    ["HOOKD_SOCKET names another supervisor", "", () => sandbox.dir, other, `"event":"spool_wait_abandoned"`, ["out", "err", "code"]],
    ["… with stdout and stderr one file (no reader on err)", "m", () => sandbox.dir, other, `"event":"spool_wait_abandoned"`, ["out", "code"]],
    ["the hook's worktree is gone (refused)", "", () => join(sandbox.dir, "no-such-worktree"), () => sandbox.env, `"event":"spool_refused"`, ["out", "err", "code"]]
  ])("%s", async (_what, flags, worktree, env, event, fifos) => {
    const running = await start()
    const { dir } = shimDir()
    spool(dir, flags, worktree(), env())
    await outputContains(running, event)
    const opened = fifos.map((name) => reader(join(dir, name)))
    // Every one reads EOF: no exit code (the shim runs hookctl run-hook), nothing printed.
    expect(await Promise.all(opened.map((r) => r.read))).toEqual(fifos.map(() => ""))
    // Unclaimed, and the directory is the shim's (its saved stdin, its rm -rf).
    expect(existsSync(join(dir, "taken"))).toBe(false)
    expect(existsSync(join(dir, "code"))).toBe(true)
    rmSync(dir, { recursive: true, force: true })
    expect((await hookctl(sandbox, sandbox.dir, ["status"], { HOOKD_NO_AUTOSTART: "1" })).code).toBe(0)
  })

  it("the shim leaves before its readers came: hookd stops waiting for them and removes its directory", async () => {
    const running = await start()
    const { dir, live } = shimDir()
    lives.splice(lives.indexOf(live), 1) // closed here: that is the shim leaving
    spool(dir, "", sandbox.dir, other())
    await outputContains(running, `"event":"spool_wait_abandoned"`)
    const removed = new Promise<void>((resolve) => {
      const watcher = watch(waitDirPath(sandbox.stateDir), () => check())
      const check = () => {
        if (existsSync(dir)) return
        watcher.close()
        resolve()
      }
      check()
    })
    closeSync(live) // the shim is gone (as after kill -9): EOF on live
    await removed // (before: never — the directory stayed, so did any reader blocked on it)
    expect((await hookctl(sandbox, sandbox.dir, ["status"], { HOOKD_NO_AUTOSTART: "1" })).code).toBe(0)
  })
})
