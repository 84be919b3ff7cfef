// hookctl connects through libuv's pipe handle (protocol/raw-pipe.ts) unless HOOKD_RAW_PIPE=0 makes it
// use node:net as before: the built binary, run both ways against the same server (or the same lack
// of one), must print the same, fail the same and exit the same.
import { chmodSync, chownSync, linkSync, mkdirSync, rmSync } from "node:fs"
import { createServer, type Server, type Socket } from "node:net"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { isRoot, SKIP_NOT_ROOT, useThrowawayUser } from "../support/other-user"
import { runCommand, type RunResult } from "../support/run"
import { useScriptedServer, type Answer } from "./scripted-server"
import { isolatedEnv, runHookctl, tempDir } from "./support"

const STATUS: Answer = {
  kind: "SupervisorStatus",
  payload: { pid: 777, uptime_ms: 92_000, repos: 2, running: 1, queued: 0, connections: 1, rss_bytes: 73_400_320, version: "0.1.0", last_sweep: { at: Date.now() - 60_000, invocations: 2, bytes: 420 } }
}

/** Runs hookctl through the raw pipe (the default) and through node:net; both results. */
const bothWays = async (args: string[], cwd: string, env: Record<string, string>) => ({
  raw: await runHookctl(args, { cwd, env }),
  net: await runHookctl(args, { cwd, env: { ...env, HOOKD_RAW_PIPE: "0" } })
})

const expectSame = ({ raw, net }: { raw: RunResult; net: RunResult }): RunResult => {
  expect(raw).toEqual(net)
  return raw
}

describe("hookctl through the raw pipe and through node:net", () => {
  let repo: string
  let env: Record<string, string>
  const { serve, socket } = useScriptedServer("hookctl-raw-pipe-", (ready) => ({ repo, env } = ready))

  it("status: the same lines, and Hello and Status in one write both ways", async () => {
    const s = await serve(() => ({ answers: [STATUS] }))
    const r = expectSame(await bothWays(["status"], repo, env))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^pid\s+777$/m)
    expect(s.chunks).toEqual([
      ["Hello", "Status"],
      ["Hello", "Status"]
    ])
  })

  it("ls and ls --json: the same table (sweep footer included) and the same JSON", async () => {
    const s = await serve((req) => (req.req === "Status" ? { answers: [STATUS] } : { answers: [{ kind: "Jobs", payload: { jobs: [], total: 0 } }] }))
    const table = expectSame(await bothWays(["ls"], repo, env))
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^last sweep 1m ago: freed 2 invocations, 420 B$/m)
    expect(expectSame(await bothWays(["ls", "--json"], repo, env)).stdout).toBe("[]\n")
    expect(s.chunks.slice(0, 2)).toEqual([
      ["Hello", "ListJobs", "Status"],
      ["Hello", "ListJobs", "Status"]
    ])
  })

  it("an Error answer: the same message and exit code", async () => {
    await serve(() => ({ answers: [{ kind: "Error", payload: { code: "REPO_NOT_FOUND", message: "no such repository" } }] }))
    const r = expectSame(await bothWays(["ls"], repo, env))
    expect(r.code).toBe(4)
    expect(r.stderr).toContain("no such repository")
  })

  it("no socket: the same 'cannot reach' (exit 3)", async () => {
    const r = expectSame(await bothWays(["status"], repo, env))
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`cannot reach the hookd supervisor at ${socket} (ENOENT; autostart disabled`)
  })

  /** A server at the test's socket path that does `act` with each connection's first bytes. */
  const rawServer = async (act: (s: Socket) => void): Promise<Server> => {
    const server = createServer((s) => {
      s.on("error", () => undefined)
      s.once("data", () => act(s))
    })
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    return server
  }
  const closeServer = (server: Server) => new Promise((resolve) => server.close(resolve))

  it("a garbled answer: the same 'bad answer' (exit 3)", async () => {
    const server = await rawServer((s) => s.end(Buffer.from([0, 0, 0, 2, 0x5b, 0x5d])))
    try {
      const r = expectSame(await bothWays(["status"], repo, env))
      expect(r.code).toBe(3)
      expect(r.stderr).toMatch(/^hookctl: bad answer from hookd: /)
    } finally {
      await closeServer(server)
    }
  })

  it("a server that hangs up without answering: the same 'closed the connection' (exit 3)", async () => {
    const server = await rawServer((s) => s.destroy())
    try {
      const r = expectSame(await bothWays(["ls"], repo, env))
      expect(r.code).toBe(3)
      expect(r.stderr).toContain("hookd closed the connection")
    } finally {
      await closeServer(server)
    }
  })

  it("a socket file nobody listens on: the same ECONNREFUSED", async () => {
    const server = await rawServer(() => undefined)
    const stale = `${socket}.stale`
    linkSync(socket, stale)
    await closeServer(server)
    try {
      const r = expectSame(await bothWays(["status"], repo, { ...env, HOOKD_SOCKET: stale }))
      expect(r.code).toBe(3)
      expect(r.stderr).toContain(`cannot reach the hookd supervisor at ${stale} (ECONNREFUSED; autostart disabled`)
    } finally {
      rmSync(stale, { force: true })
    }
  })
})

describe("hookctl through both ways when connecting is not allowed (EACCES)", () => {
  const other = useThrowawayUser()
  const temp = tempDir("hookctl-raw-pipe-eacces-")
  afterAll(() => temp.cleanup())
  let server: Server | undefined
  afterAll(() => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined))))

  /** Runs the reachable copy of hookctl as the other user. */
  const runAsOther = (args: string[], env: Record<string, string>): Promise<RunResult> =>
    runCommand(process.execPath, [other.install!.hookctl, ...args], { cwd: "/", env, as: other.user })

  it.skipIf(!isRoot)("the user's own socket without write permission: the same EACCES both ways", async () => {
    const { user } = other
    const run = join(temp.dir, "run")
    mkdirSync(run, { mode: 0o700 })
    const path = join(run, "hookd.sock")
    server = createServer((s) => s.destroy())
    await new Promise<void>((resolve) => server!.listen(path, resolve))
    chmodSync(temp.dir, 0o755)
    chownSync(run, user!.uid, user!.gid)
    chownSync(path, user!.uid, user!.gid)
    chmodSync(path, 0o000)
    const home = join(temp.dir, "home")
    mkdirSync(home)
    chownSync(home, user!.uid, user!.gid)
    const env = isolatedEnv(home, { HOOKD_SOCKET: path, HOOKD_NO_AUTOSTART: "1", HOOKD_STATE_DIR: join(home, "state") })
    const raw = await runAsOther(["status"], env)
    const net = await runAsOther(["status"], { ...env, HOOKD_RAW_PIPE: "0" })
    expect(raw).toEqual(net)
    expect(raw.code).toBe(3)
    expect(raw.stderr).toContain(`cannot reach the hookd supervisor at ${path} (EACCES)`)
  })
  it.runIf(!isRoot)(`EACCES: ${SKIP_NOT_ROOT}`, () => undefined)
})
