// Issue 14 item 6 (the client's half): a BUSY answer means hookd did not handle the request, so
// hookctl sends it again on a fresh connection, with backoff, for up to ~2 s before showing the BUSY.
// A real Unix-socket server stands in for hookd and answers BUSY the two ways hookd does:
//   - "full":     like the connection limit — a BUSY frame without id, then the connection closes;
//   - "draining": like a supervisor shutting down — BUSY to each request (with its id), socket open.
// After `busyAnswers` BUSYs it serves like hookd (Welcome, then the command's answer).
import { writeFileSync } from "node:fs"
import { createServer, type Server, type Socket } from "node:net"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { encodeFrame, FrameDecoder, parseFrameBody } from "../../src/protocol/framing"
import type { ResponseEnvelope } from "../../src/protocol/types"
import { HOOKCTL_VERSION } from "../../src/client/version"
import { initRepo, isolatedEnv, runHookctl, tempDir } from "../client/support"
import { figures } from "./support"

type Style = "full" | "draining"
type Request = { readonly id?: string; readonly req: string; readonly payload: Record<string, unknown> }

const FULL_MESSAGE = "hookd is busy: too many connections (limit 256); try again shortly"

const statusPayload = { pid: 777, uptime_ms: 1, repos: 0, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: HOOKCTL_VERSION }

/** What hookd would answer once it is no longer busy. */
const answersTo = (request: Request): Array<Omit<ResponseEnvelope, "v" | "id">> => {
  switch (request.req) {
    case "Hello":
      return [{ kind: "Welcome", payload: { server_version: HOOKCTL_VERSION, protocol_versions: [1], pid: 777, started_at: 1, state_dir: "/nonexistent-hookd-state" } }]
    case "Status":
      return [{ kind: "SupervisorStatus", payload: statusPayload }]
    case "ListJobs":
      return [{ kind: "Jobs", payload: { jobs: [], total: 0 } }]
    case "Prune":
      return [{ kind: "Pruned", payload: { dry_run: true, invocations: 0, jobs: 0, bytes: 0, items: [] } }]
    case "Shutdown":
      return [{ kind: "Ack", payload: { message: "shutting down" } }]
    case "RunJobs":
      return [
        { kind: "RunAccepted", payload: { invocation_id: "feedbeef00112233", jobs: [] } },
        { kind: "StreamEnd", payload: { reason: "terminal", outcome: "completed" } }
      ]
    default:
      return [{ kind: "Error", payload: { code: "BAD_REQUEST", message: `the test server does not know ${request.req}` } }]
  }
}

class BusyServer {
  connections = 0
  readonly requests: Request[] = []
  private busyLeft: number

  private constructor(
    readonly server: Server,
    busyAnswers: number,
    private readonly style: Style,
    /** Stop listening right after the first BUSY (a supervisor whose shutdown then ends). */
    private readonly vanish: boolean
  ) {
    this.busyLeft = busyAnswers
  }

  static async listen(path: string, style: Style, busyAnswers: number, vanish = false): Promise<BusyServer> {
    let instance: BusyServer | undefined
    const server = createServer((socket) => instance!.accept(socket))
    instance = new BusyServer(server, busyAnswers, style, vanish)
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(path, resolve)
    })
    return instance
  }

  /** Requests other than the Hello handshake, by name. */
  named(req: string): Request[] {
    return this.requests.filter((r) => r.req === req)
  }

  private accept(socket: Socket): void {
    this.connections++
    socket.on("error", () => {})
    if (this.style === "full" && this.busyLeft > 0) {
      this.busyLeft--
      // What the supervisor's rejectBusy does: answer at once, read what comes, close.
      socket.on("data", () => {})
      socket.end(encodeFrame({ v: 1, kind: "Error", payload: { code: "BUSY", message: FULL_MESSAGE } }))
      return
    }
    const decoder = new FrameDecoder()
    socket.on("data", (chunk) => {
      for (const body of decoder.push(chunk)) {
        const request = parseFrameBody(body) as unknown as Request
        if (request.req !== "Hello") this.requests.push(request)
        const busy = this.style === "draining" && this.busyLeft > 0
        if (busy && request.req !== "Hello") this.busyLeft--
        const answers = busy ? [{ kind: "Error", payload: { code: "BUSY", message: "shutting down" } }] : answersTo(request)
        for (const a of answers) socket.write(encodeFrame({ v: 1, id: request.id, ...a }))
        if (busy && this.vanish) this.server.close()
      }
    })
  }

  close(): Promise<void> {
    return this.server.listening ? new Promise((resolve) => this.server.close(() => resolve())) : Promise.resolve()
  }
}

const ALWAYS = Number.MAX_SAFE_INTEGER

describe("hookctl retries a BUSY answer briefly before showing it (issue 14 item 6)", () => {
  const temp = tempDir("hookd-busy-")
  const socket = join(temp.dir, "hookd.sock")
  let env: Record<string, string>
  let repo: string
  let server: BusyServer | undefined

  beforeAll(() => {
    env = isolatedEnv(join(temp.dir, "home"), { HOOKD_SOCKET: socket, HOOKD_NO_AUTOSTART: "1" })
    repo = initRepo(temp.dir, env)
    writeFileSync(
      join(repo, "hookd.yml"),
      ["hooks:", "  pre-commit:", "    jobs:", "      - name: lint", "        run: \"true\"", "  commit-msg:", "    background: true", "    jobs:", "      - name: tidy", "        run: \"true\"", "  post-commit:", "    jobs:", "      - name: note", "        run: \"true\"", ""].join("\n")
    )
  })
  afterEach(async () => {
    await server?.close()
    server = undefined
  })
  afterAll(() => temp.cleanup())

  const serve = async (style: Style, busyAnswers: number, vanish = false) =>
    (server = await BusyServer.listen(socket, style, busyAnswers, vanish))
  const hookctl = (args: string[], extraEnv: Record<string, string> = {}) => runHookctl(args, { cwd: repo, env: { ...env, ...extraEnv } })

  const commands: Array<{ name: string; args: string[]; request: string; says: RegExp }> = [
    { name: "status", args: ["status"], request: "Status", says: /pid\s+777/ },
    { name: "ls", args: ["ls", "--json"], request: "ListJobs", says: /^\[\]$/m },
    { name: "prune", args: ["prune", "--dry-run"], request: "Prune", says: /would prune 0 invocations/ },
    { name: "shutdown", args: ["shutdown"], request: "Shutdown", says: /shutting down/ },
    { name: "run-hook (a pre-commit git waits for)", args: ["run-hook", "pre-commit", "--"], request: "RunJobs", says: /^$/ }
  ]

  for (const style of ["full", "draining"] as const) {
    for (const command of commands) {
      it(`${command.name}: three BUSY answers (${style}), then the answer — exit 0, as if nothing happened`, async () => {
        const s = await serve(style, 3)
        const r = await hookctl(command.args)
        expect(r.stderr).not.toMatch(/busy|shutting down/)
        expect(r.code).toBe(0)
        expect(r.stdout).toMatch(command.says)
        // Sent four times, the same request each time.
        const sent = s.named(command.request)
        expect(sent.length).toBe(style === "full" ? 1 : 4)
        expect(s.connections).toBe(4)
        for (const again of sent) expect(again.payload).toEqual(sent[0]!.payload)
      })
    }
  }

  it("status against a supervisor that stays BUSY: retried a few times within the budget, then the BUSY answer (exit 3), never EPIPE", async () => {
    const s = await serve("full", ALWAYS)
    const started = Date.now()
    const r = await hookctl(["status"])
    figures("busy-retry", { connections: s.connections, elapsed_ms: Date.now() - started })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(FULL_MESSAGE)
    expect(r.stderr).not.toMatch(/EPIPE|ECONNRESET/)
    // Retried (however slow the machine), and bounded: the pauses alone (25 ms doubling to 400 ms) pass 2 s by the tenth.
    expect(s.connections).toBeGreaterThanOrEqual(2)
    expect(s.connections).toBeLessThanOrEqual(10)
  })

  it("HOOKD_BUSY_RETRY_MS=0 turns the retry off: the first BUSY is shown", async () => {
    const s = await serve("draining", ALWAYS)
    const r = await hookctl(["status"], { HOOKD_BUSY_RETRY_MS: "0" })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("shutting down")
    expect(s.connections).toBe(1)
  })

  it("a pre-commit (git waits for its jobs) that stays BUSY fails the commit with the BUSY message (exit 3)", async () => {
    const s = await serve("draining", ALWAYS)
    const r = await hookctl(["run-hook", "pre-commit", "--"])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("shutting down")
    expect(s.named("RunJobs").length).toBeGreaterThanOrEqual(2)
  })

  it("a post-commit that stays BUSY never fails git: a warning, exit 0", async () => {
    const s = await serve("full", ALWAYS)
    const r = await hookctl(["run-hook", "post-commit", "--"])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(FULL_MESSAGE)
    expect(r.stderr).toMatch(/git goes on|may not have started/)
    expect(s.connections).toBeGreaterThanOrEqual(2)
  })

  it("a blocking hook with only background jobs that stays BUSY does not block git either: a warning, exit 0", async () => {
    await serve("draining", ALWAYS)
    const r = await hookctl(["run-hook", "commit-msg", "--", ".git/COMMIT_EDITMSG"])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("shutting down")
    expect(r.stderr).toContain("background jobs of commit-msg may not have started")
  })

  it("a supervisor that goes away while BUSY (shutdown ends): the BUSY answer is shown, nothing hangs", async () => {
    const s = await serve("draining", ALWAYS, true)
    const r = await hookctl(["status"])
    expect(s.connections).toBe(1)
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("shutting down")
  })
})
