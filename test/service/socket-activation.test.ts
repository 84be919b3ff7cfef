// hookd under a service manager: served through a socket passed by systemd (LISTEN_FDS), and the
// `--idle-exit` the unit file relies on. Black-box: real `node bin/hookd`, real sockets.
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { storedRecords } from "../support/stored-records"
import { makeSandbox, REPO_ROOT, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"

const HOOKD_BIN = join(REPO_ROOT, "bin", "hookd")

let sandbox: Sandbox
const children: ChildProcess[] = []
const clients: TestClient[] = []
const supervisors: RunningSupervisor[] = []

beforeEach(() => {
  sandbox = makeSandbox()
})
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  for (const s of supervisors.splice(0)) await s.stop("SIGKILL")
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r))
      child.kill("SIGKILL")
      await exited
    }
  }
  sandbox.cleanup()
})

const exitOf = (child: ChildProcess): Promise<number | string> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? child.signalCode!)
    : new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)))

/** Resolves once `text` has appeared in the child's stderr (a log line, not a timer). */
const stderrContains = (child: ChildProcess, text: string, seen: { output: string }): Promise<void> =>
  new Promise((resolve, reject) => {
    const check = () => {
      if (seen.output.includes(text)) {
        child.stderr!.off("data", check)
        resolve()
      }
    }
    child.stderr!.on("data", check)
    child.once("exit", (code) => reject(new Error(`exited (${code}) before printing ${JSON.stringify(text)}:\n${seen.output}`)))
    check()
  })

describe("socket activation", () => {
  it("answers the first connection through the passed fd and leaves the socket file to the manager", async () => {
    mkdirSync(join(sandbox.dir, "run"), { recursive: true, mode: 0o700 })
    const seen = { output: "" }
    const activator = spawn("systemd-socket-activate", ["-l", sandbox.socket, process.execPath, HOOKD_BIN], {
      env: sandbox.env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    children.push(activator)
    activator.stdout!.on("data", (d) => (seen.output += d))
    activator.stderr!.on("data", (d) => (seen.output += d))
    await stderrContains(activator, "Listening on", seen)
    const before = statSync(sandbox.socket)
    expect(before.isSocket()).toBe(true)

    const client = await TestClient.connect(sandbox.socket)
    clients.push(client)
    const welcome = await client.request("Hello", { client: "test", client_version: "0" })
    expect(welcome.kind).toBe("Welcome")
    // systemd-socket-activate execs hookd in its own process: LISTEN_PID is that pid.
    expect((welcome.payload as { pid: number }).pid).toBe(activator.pid)

    const during = statSync(sandbox.socket)
    expect(during.ino).toBe(before.ino)
    expect(during.isSocket()).toBe(true)

    // On exit the socket stays: the manager owns it and starts hookd again on the next connection.
    client.close()
    activator.kill("SIGTERM")
    expect(await exitOf(activator)).toBe(0)
    expect(existsSync(sandbox.socket)).toBe(true)
    expect(statSync(sandbox.socket).ino).toBe(before.ino)
  })
})

describe("--idle-exit", () => {
  it("exits 0 by itself after the idle time", async () => {
    const hookd = await startSupervisor(sandbox, ["--idle-exit", "500ms"])
    supervisors.push(hookd)
    expect(await hookd.exited).toBe(0)
  })

  it("does not exit while a job runs: the job completes first", async () => {
    const repo = join(sandbox.dir, "repo")
    mkdirSync(repo)
    execFileSync("git", ["init", "-q", repo], { env: sandbox.env })
    const marker = join(sandbox.dir, "job-finished")
    const hookd = await startSupervisor(sandbox, ["--idle-exit", "2s"])
    supervisors.push(hookd)

    const client = await TestClient.connect(sandbox.socket)
    clients.push(client)
    const accepted = await client.request("RunJobs", {
      repo_root: repo,
      worktree: repo,
      hook: "post-checkout",
      args: [],
      env: { PATH: sandbox.env.PATH },
      mode: "background",
      wait: false,
      // Longer than the idle time: an exit that ignored the job would cancel it before the touch.
      jobs: [{ name: "nap", run: `sleep 3 && touch '${marker}'`, background: true }]
    })
    expect(accepted.kind).toBe("RunAccepted")
    const { invocation_id, repo_id } = accepted.payload as { invocation_id: string; repo_id: string }
    // No connection keeps it busy from here on: only the job does.
    client.close()

    expect(await hookd.exited).toBe(0)
    expect(existsSync(marker)).toBe(true)
    const last = (await storedRecords(sandbox.stateDir, repo_id, invocation_id, "nap")).at(-1)
    expect(last).toMatchObject({ kind: "status", data: { event: "finished", exit_code: 0 } })
  })
})
