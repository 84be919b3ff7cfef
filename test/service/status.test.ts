// `hookctl service status`: files, what the service manager says, and a Hello to the supervisor.
// The supervisor here is the client tests' scripted server, so status is tested without hookd itself.
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ScriptedServer } from "../client/scripted-server"
import { runService } from "../../src/service/cli"
import { makeContext, makeServiceSandbox, recordedCalls, sandboxEnv, standIn, type ServiceSandbox } from "./helpers"

let sb: ServiceSandbox
let server: ScriptedServer | undefined
beforeEach(() => {
  sb = makeServiceSandbox()
})
afterEach(async () => {
  await server?.close()
  server = undefined
  sb.cleanup()
})

const socket = () => join(sb.dir, "hookd.sock")

/** Answers Hello with a Welcome; `silent` accepts and never answers. */
const fakeSupervisor = async (silent = false, version = "9.9.9"): Promise<ScriptedServer> =>
  (server = await ScriptedServer.listen(socket(), () => ({
    answers: silent
      ? []
      : [{ kind: "Welcome", payload: { server_version: version, protocol_versions: [1], pid: 4242, started_at: 0, state_dir: "/s" } }]
  })))

/** A systemctl that answers is-enabled/is-active from a table keyed by "query unit". */
const systemctlAnswering = (answers: Record<string, string>) =>
  standIn(
    sb,
    "systemctl",
    `case "$2 $3" in\n${Object.entries(answers)
      .map(([k, v]) => `  "${k}") echo ${v}; [ ${v} = enabled ] || [ ${v} = active ];;`)
      .join("\n")}\n  *) exit 1;;\nesac`
  )

describe("service status (linux)", () => {
  it("shows installed files, unit states and the running supervisor's pid and version", async () => {
    standIn(sb, "systemctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "linux")))).toBe(0)
    systemctlAnswering({
      "is-enabled hookd.socket": "enabled",
      "is-enabled hookd.service": "disabled",
      "is-active hookd.socket": "active",
      "is-active hookd.service": "active"
    })
    await fakeSupervisor()
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["status"], ctx)).toBe(0)
    const out = ctx.stdout()
    expect(out).toContain(`installed ${join(sb.config, "systemd", "user", "hookd.socket")}`)
    expect(out).toContain(`installed ${join(sb.config, "systemd", "user", "hookd.service")}`)
    expect(out).toContain("hookd.socket: enabled, active")
    expect(out).toContain("hookd.service: disabled, active")
    expect(out).toContain("supervisor: running, pid 4242, version 9.9.9")
  })

  it("escapes control characters in what the supervisor answers (an ESC never reaches the terminal)", async () => {
    standIn(sb, "systemctl")
    systemctlAnswering({ "is-active hookd.socket": "active", "is-active hookd.service": "active" })
    await fakeSupervisor(false, "9.9\x1b]0;owned\x07\n.9")
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["status"], ctx)).toBe(0)
    const out = ctx.stdout()
    expect(out).toContain("version 9.9\\e]0;owned\\x07\\n.9")
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f]/)
  })

  it("does not connect when the socket listens but hookd is down: that would start it", async () => {
    systemctlAnswering({
      "is-enabled hookd.socket": "enabled",
      "is-enabled hookd.service": "disabled",
      "is-active hookd.socket": "active",
      "is-active hookd.service": "inactive"
    })
    const fake = await fakeSupervisor()
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["status"], ctx)).toBe(0)
    expect(fake.connections).toBe(0)
    expect(ctx.stdout()).toContain("supervisor: not running (the socket unit starts it on the first connection")
  })

  it("says 'not running' when nothing listens, and lists missing files", async () => {
    systemctlAnswering({})
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["status"], ctx)).toBe(0)
    expect(ctx.stdout()).toContain(`missing   ${join(sb.config, "systemd", "user", "hookd.socket")}`)
    expect(ctx.stdout()).toContain("supervisor: not running (no socket file")
  })

  it("gives up on a supervisor that does not answer within 1 s", async () => {
    systemctlAnswering({})
    await fakeSupervisor(true)
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["status"], ctx)).toBe(0)
    expect(ctx.stdout()).toContain("supervisor: not running (no answer within 1 s")
  })

  it("reports an unreachable manager once instead of timing out on every query", async () => {
    standIn(sb, "systemctl", `case "$2" in is-enabled) echo disabled; exit 1;; esac; echo "Failed to connect to bus: No medium found" >&2; exit 1`)
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["status"], ctx)).toBe(0)
    expect(ctx.stdout()).toContain("hookd.socket: disabled, unknown")
    expect(ctx.stdout()).toContain("service manager: not reachable")
    expect(recordedCalls(sb).filter((c) => c.includes("is-active"))).toHaveLength(1)
  })
})

describe("service status (darwin)", () => {
  it("reads the agent's state and pid from launchctl print", async () => {
    standIn(sb, "launchctl", `printf '%s\\n' "gui/501/dev.hookd.supervisor = {" "	state = running" "	pid = 77" "}"`)
    await fakeSupervisor()
    const ctx = makeContext(sandboxEnv(sb, "darwin", { HOOKD_SOCKET: socket() }), { uid: 501 })
    expect(await runService(["status"], ctx)).toBe(0)
    expect(recordedCalls(sb)).toEqual(["launchctl print gui/501/dev.hookd.supervisor"])
    expect(ctx.stdout()).toContain("gui/501/dev.hookd.supervisor: loaded (state running, pid 77)")
    expect(ctx.stdout()).toContain("supervisor: running, pid 4242")
  })

  it("says 'not loaded' when launchctl does not know the agent", async () => {
    standIn(sb, "launchctl", `echo 'Could not find service "dev.hookd.supervisor" in domain for user gui: 501' >&2; exit 113`)
    const ctx = makeContext(sandboxEnv(sb, "darwin", { HOOKD_SOCKET: socket() }), { uid: 501 })
    expect(await runService(["status"], ctx)).toBe(0)
    expect(ctx.stdout()).toContain("gui/501/dev.hookd.supervisor: not loaded")
  })
})

describe("usage", () => {
  it("exits 2 with the usage on stderr for a bad action or option", async () => {
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["reinstall"], ctx)).toBe(2)
    expect(await runService(["install", "--yes"], ctx)).toBe(2)
    expect(ctx.stderr()).toContain("usage: hookctl service install")
  })
  it("exits 2 for an unknown forced platform", async () => {
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SERVICE_PLATFORM: "beos" }))
    expect(await runService(["install"], ctx)).toBe(2)
  })
})

describe("service install beside a running supervisor", () => {
  it("notes the earlier supervisor and how to hand over to the service", async () => {
    standIn(sb, "systemctl")
    await fakeSupervisor()
    const ctx = makeContext(sandboxEnv(sb, "linux", { HOOKD_SOCKET: socket() }))
    expect(await runService(["install"], ctx)).toBe(0)
    expect(ctx.stdout()).toContain("note: hookd (pid 4242) was already running")
    expect(ctx.stdout()).toContain("hookctl shutdown")
  })
})
