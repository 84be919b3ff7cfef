// `hookctl service install|uninstall` on Linux, in-process, against stand-in `systemctl` scripts.
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { runService } from "../../src/service/cli"
import { filesUnder, makeContext, makeServiceSandbox, recordedCalls, sandboxEnv, standIn, type ServiceSandbox } from "./helpers"

const REPO_ROOT = join(__dirname, "..", "..")

let sb: ServiceSandbox
beforeEach(() => {
  sb = makeServiceSandbox()
})
afterEach(() => sb.cleanup())

const unitDir = () => join(sb.config, "systemd", "user")

describe("service install (linux, reachable user manager)", () => {
  it("writes both units with this installation's absolute paths", async () => {
    standIn(sb, "systemctl")
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["install"], ctx)).toBe(0)

    expect(filesUnder(sb.home)).toEqual([".config-xdg/systemd/user/hookd.service", ".config-xdg/systemd/user/hookd.socket"])
    const service = readFileSync(join(unitDir(), "hookd.service"), "utf8")
    expect(service).toContain(`ExecStart="${process.execPath}" "${join(REPO_ROOT, "bin", "hookd")}" --idle-exit 30m`)
    expect(service).toContain(`Environment="HOOKD_STATE_DIR=${join(sb.home, ".state-xdg", "hookd")}"`)
    expect(service).not.toMatch(/@[A-Z_]+@/)
    const socket = readFileSync(join(unitDir(), "hookd.socket"), "utf8")
    expect(socket).toContain("ListenStream=%t/hookd/hookd.sock")
    expect(ctx.stdout()).toContain("hookd is installed")
  })

  it("reloads the manager, then enables and starts the socket", async () => {
    standIn(sb, "systemctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "linux")))).toBe(0)
    expect(recordedCalls(sb)).toEqual(["systemctl --user daemon-reload", "systemctl --user enable --now hookd.socket"])
  })

  it("fails with exit 1 when the reachable manager refuses to enable, keeping the files", async () => {
    standIn(sb, "systemctl", `case "$*" in *enable*) echo "Failed to enable unit: boom" >&2; exit 1;; esac; exit 0`)
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["install"], ctx)).toBe(1)
    expect(ctx.stderr()).toContain("Failed to enable unit: boom")
    expect(existsSync(join(unitDir(), "hookd.service"))).toBe(true)
  })
})

describe("service uninstall (linux)", () => {
  it("stops and disables both units, removes the files and reloads, leaving nothing behind", async () => {
    standIn(sb, "systemctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "linux")))).toBe(0)
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["uninstall"], ctx)).toBe(0)

    expect(recordedCalls(sb).slice(2)).toEqual([
      "systemctl --user disable --now hookd.socket hookd.service",
      "systemctl --user daemon-reload"
    ])
    expect(filesUnder(sb.home)).toEqual([])
    expect(existsSync(join(sb.config, "systemd"))).toBe(false)
    expect(ctx.stdout()).toContain("uninstalled")
  })

  it("does nothing, successfully, when nothing is installed", async () => {
    standIn(sb, "systemctl")
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["uninstall"], ctx)).toBe(0)
    expect(recordedCalls(sb)).toEqual([])
    expect(ctx.stdout()).toContain("not installed")
  })
})

describe("service install without a reachable user manager", () => {
  const expectExplained = (out: string) => {
    expect(out).toContain("No user service manager is reachable")
    expect(out).toContain("The service files are written")
    expect(out).toContain(`${process.execPath} ${join(REPO_ROOT, "bin", "hookd")} &`)
    expect(out).toContain("npm start")
  }

  it("writes the files, explains and exits 0 when systemctl cannot reach the bus", async () => {
    standIn(sb, "systemctl", `echo "Failed to connect to bus: No medium found" >&2; exit 1`)
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["install"], ctx)).toBe(0)
    expectExplained(ctx.stdout())
    expect(ctx.stdout()).toContain("Failed to connect to bus: No medium found")
    // The first failing call is the probe: nothing is attempted after it.
    expect(recordedCalls(sb)).toEqual(["systemctl --user daemon-reload"])
    expect(filesUnder(unitDir())).toEqual(["hookd.service", "hookd.socket"])
  })

  it("writes the files, explains and exits 0 when there is no systemctl at all", async () => {
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["install"], ctx)).toBe(0)
    expectExplained(ctx.stdout())
    expect(ctx.stdout()).toContain("systemctl is not installed")
    expect(filesUnder(unitDir())).toEqual(["hookd.service", "hookd.socket"])
  })

  it("still removes the files on uninstall", async () => {
    standIn(sb, "systemctl", `echo "Failed to connect to bus: No medium found" >&2; exit 1`)
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "linux")))).toBe(0)
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["uninstall"], ctx)).toBe(0)
    expect(filesUnder(sb.home)).toEqual([])
    expect(ctx.stdout()).toContain("No user service manager is reachable")
  })
})

describe("service install --dry-run (linux)", () => {
  it("prints every file with its content and every command, and changes nothing", async () => {
    standIn(sb, "systemctl")
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["install", "--dry-run"], ctx)).toBe(0)

    expect(filesUnder(sb.home)).toEqual([])
    expect(existsSync(unitDir())).toBe(false)
    expect(recordedCalls(sb)).toEqual([])
    const out = ctx.stdout()
    expect(out).toContain(`would write ${join(unitDir(), "hookd.socket")}`)
    expect(out).toContain(`would write ${join(unitDir(), "hookd.service")}`)
    expect(out).toContain("ListenStream=%t/hookd/hookd.sock")
    expect(out).toContain(`ExecStart="${process.execPath}"`)
    expect(out.indexOf("would run: systemctl --user daemon-reload")).toBeLessThan(
      out.indexOf("would run: systemctl --user enable --now hookd.socket")
    )
  })

  it("uninstall --dry-run lists the removals and keeps the files", async () => {
    standIn(sb, "systemctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "linux")))).toBe(0)
    const before = recordedCalls(sb).length
    const ctx = makeContext(sandboxEnv(sb, "linux"))
    expect(await runService(["uninstall", "--dry-run"], ctx)).toBe(0)
    expect(recordedCalls(sb).length).toBe(before)
    expect(filesUnder(unitDir())).toEqual(["hookd.service", "hookd.socket"])
    expect(ctx.stdout()).toContain(`would remove ${join(unitDir(), "hookd.socket")}`)
    expect(ctx.stdout()).toContain("would run: systemctl --user disable --now hookd.socket hookd.service")
  })
})
