// The version handshake: every command connection sends Hello in the same write as its request, and a
// supervisor of another version is pointed out once per supervisor start (pid + start time), not per command.
import { mkdtempSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { versionMismatchMessage, versionNotice } from "../../src/client/version-notice"
import { HOOKCTL_VERSION } from "../../src/client/version"
import { useScriptedServer } from "./scripted-server"
import { runHookctl, tempDir } from "./support"

// Every state dir of this file lives in one temp dir, removed after the file.
const temp = tempDir("hookctl-handshake-")
afterAll(() => temp.cleanup())

const STATUS = { kind: "SupervisorStatus" as const, payload: { pid: 1, uptime_ms: 1, repos: 0, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: "0.0.1" } }

describe("the Welcome notice (pure)", () => {
  const welcome = (over: Partial<{ server_version: string; pid: number; started_at: number; state_dir: string }>) => ({
    server_version: "0.1.0", protocol_versions: [1], pid: 10, started_at: 1000, state_dir: mkdtempSync(join(temp.dir, "notice-")), ...over
  })
  it("says nothing when the versions match", () => {
    expect(versionNotice(welcome({ server_version: "0.2.0" }), "0.2.0")).toBeUndefined()
  })
  it("says it once per supervisor start, again for a restarted one", () => {
    const w = welcome({})
    expect(versionNotice(w, "0.2.0")).toBe("hookd: the running supervisor is 0.1.0, this hookctl is 0.2.0 — hookctl shutdown to restart it")
    expect(versionNotice(w, "0.2.0")).toBeUndefined()
    expect(versionNotice({ ...w, pid: 11, started_at: 2000 }, "0.2.0")).toBeDefined()
  })
  it("an unwritable state dir repeats the notice rather than hiding it", () => {
    const w = welcome({ state_dir: "/nonexistent/state" })
    expect(versionNotice(w, "0.2.0")).toBeDefined()
    expect(versionNotice(w, "0.2.0")).toBeDefined()
  })
})

describe("hookctl's Hello", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-hello-", (ready) => ({ repo, env } = ready))

  it("goes out with the first request in one write, naming hookctl and its version", async () => {
    const s = await serve(() => ({ answers: [STATUS] }))
    const r = await runHookctl(["status"], { cwd: repo, env })
    expect(r.code).toBe(0)
    expect(s.hellos).toEqual([expect.objectContaining({ req: "Hello", payload: { client: "hookctl", client_version: HOOKCTL_VERSION } })])
    expect(s.chunks[0]).toEqual(["Hello", "Status"])
    expect(r.stderr).toBe("") // same version: nothing to say
  })

  it("ls's table asks for its jobs and the sweep footer's Status in that same write (no round trip of their own)", async () => {
    const sweep = { at: Date.now() - 5000, invocations: 2, bytes: 420 }
    const s = await serve((request) =>
      request.req === "ListJobs"
        ? { answers: [{ kind: "Jobs", payload: { jobs: [], total: 0 } }] }
        : { answers: [{ kind: "SupervisorStatus", payload: { ...STATUS.payload, last_sweep: sweep } }] }
    )
    const r = await runHookctl(["ls"], { cwd: repo, env })
    expect(r.code, r.stderr).toBe(0)
    expect(s.chunks[0]).toEqual(["Hello", "ListJobs", "Status"])
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/^last sweep \d+s ago: freed 2 invocations, 420 B$/)
  })

  it("ls's table without a Status answer (an Error, as from an older supervisor) is printed without the footer", async () => {
    await serve((request) =>
      request.req === "ListJobs"
        ? { answers: [{ kind: "Jobs", payload: { jobs: [], total: 0 } }] }
        : { answers: [{ kind: "Error", payload: { code: "BAD_REQUEST", message: "unknown request" } }] }
    )
    const r = await runHookctl(["ls"], { cwd: repo, env })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain("last sweep")
  })

  it("a supervisor of another version is pointed out once per supervisor start", async () => {
    const stateDir = mkdtempSync(join(temp.dir, "hello-state-"))
    await serve(() => ({ answers: [STATUS] }), { version: "0.0.1", pid: 777, startedAt: 5000, stateDir })
    const first = await runHookctl(["status"], { cwd: repo, env })
    expect(first.code).toBe(0)
    expect(first.stderr).toBe(versionMismatchMessage("0.0.1", HOOKCTL_VERSION) + "\n")
    expect(readFileSync(join(stateDir, "hookctl-version-notice"), "utf8")).toContain("777 5000")
    const second = await runHookctl(["status"], { cwd: repo, env })
    expect(second.stderr).toBe("")
  })
})
