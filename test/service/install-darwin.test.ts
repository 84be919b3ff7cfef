// `hookctl service install|uninstall` with the platform forced to darwin, against a stand-in
// `launchctl`; the written plist is checked with a real property-list parser (plutil or plistlib).
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { socketPath } from "../../src/protocol/paths"
import { runService } from "../../src/service/cli"
import { locateInstallation } from "../../src/service/installation"
import { filesUnder, makeContext, makeServiceSandbox, recordedCalls, sandboxEnv, standIn, type ServiceSandbox } from "./helpers"

const REPO_ROOT = join(__dirname, "..", "..")
const LABEL = "dev.hookd.supervisor"

let sb: ServiceSandbox
beforeEach(() => {
  sb = makeServiceSandbox()
})
afterEach(() => sb.cleanup())

const plistPath = () => join(sb.home, "Library", "LaunchAgents", `${LABEL}.plist`)
const logDir = () => join(sb.home, "Library", "Logs", "hookd")

/** Parses a plist with Python's plistlib (a strict XML plist parser) and returns it as JSON. */
const parsePlist = (path: string): Record<string, unknown> => {
  const script = "import plistlib,json,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))"
  return JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" })) as Record<string, unknown>
}

describe("service install (darwin)", () => {
  it("writes a valid LaunchAgent with every required key and absolute paths", async () => {
    standIn(sb, "launchctl")
    const env = sandboxEnv(sb, "darwin")
    expect(await runService(["install"], makeContext(env))).toBe(0)

    expect(filesUnder(sb.home)).toEqual([`Library/LaunchAgents/${LABEL}.plist`])
    expect(existsSync(logDir())).toBe(true)
    const plist = parsePlist(plistPath())
    expect(plist).toEqual({
      Label: LABEL,
      ProgramArguments: [process.execPath, join(REPO_ROOT, "bin", "hookd")],
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      StandardOutPath: join(logDir(), "hookd.out.log"),
      StandardErrorPath: join(logDir(), "hookd.err.log"),
      EnvironmentVariables: {
        PATH: expect.any(String),
        HOOKD_SOCKET: socketPath(env, "darwin"),
        HOOKD_STATE_DIR: join(sb.home, ".state-xdg", "hookd")
      },
      ProcessType: "Background"
    })
    const path = (plist.EnvironmentVariables as { PATH: string }).PATH.split(":")
    expect(path[0]).toBe(dirname(process.execPath))
    for (const dir of ["/usr/local/bin", "/opt/homebrew/bin", "/usr/bin", "/bin"]) expect(path).toContain(dir)
  })

  it("unloads any previous agent, then bootstraps the new one into the user's GUI domain", async () => {
    standIn(sb, "launchctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "darwin"), { uid: 501 }))).toBe(0)
    expect(recordedCalls(sb)).toEqual([`launchctl bootout gui/501/${LABEL}`, `launchctl bootstrap gui/501 ${plistPath()}`])
  })

  it("installs even when the bootout of a not-loaded agent fails", async () => {
    standIn(sb, "launchctl", `case "$1" in bootout) echo "Boot-out failed: 3: No such process" >&2; exit 3;; esac; exit 0`)
    const ctx = makeContext(sandboxEnv(sb, "darwin"))
    expect(await runService(["install"], ctx)).toBe(0)
    expect(ctx.stdout()).toContain("hookd is installed")
  })

  it("escapes XML in substituted paths", async () => {
    standIn(sb, "launchctl")
    // A home directory with XML-special characters, and an installation under such a directory.
    const home = join(sb.dir, `we<ird> & "home's"`)
    mkdirSync(home)
    const weird = join(sb.dir, "r&d <hookd>")
    mkdirSync(join(weird, "bin"), { recursive: true })
    writeFileSync(join(weird, "package.json"), "{}")
    writeFileSync(join(weird, "bin", "hookd"), "")
    mkdirSync(join(weird, "launchd"))
    writeFileSync(join(weird, "launchd", `${LABEL}.plist`), readFileSync(join(REPO_ROOT, "launchd", `${LABEL}.plist`)))
    const installation = { ...locateInstallation(), root: weird, hookd: join(weird, "bin", "hookd") }
    const env = sandboxEnv(sb, "darwin", { HOME: home })
    expect(await runService(["install"], makeContext(env, { installation }))).toBe(0)

    const plist = parsePlist(join(home, "Library", "LaunchAgents", `${LABEL}.plist`))
    expect(plist.ProgramArguments).toEqual([process.execPath, join(weird, "bin", "hookd")])
    expect(plist.StandardErrorPath).toBe(join(home, "Library", "Logs", "hookd", "hookd.err.log"))
  })
})

describe("service uninstall (darwin)", () => {
  it("boots the agent out, then removes the plist and the empty log directory", async () => {
    standIn(sb, "launchctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "darwin"), { uid: 501 }))).toBe(0)
    expect(await runService(["uninstall"], makeContext(sandboxEnv(sb, "darwin"), { uid: 501 }))).toBe(0)
    expect(recordedCalls(sb).slice(2)).toEqual([`launchctl bootout gui/501/${LABEL}`])
    expect(filesUnder(sb.home)).toEqual([])
    expect(existsSync(logDir())).toBe(false)
  })

  it("keeps a log directory that holds logs", async () => {
    standIn(sb, "launchctl")
    expect(await runService(["install"], makeContext(sandboxEnv(sb, "darwin")))).toBe(0)
    writeFileSync(join(logDir(), "hookd.err.log"), "started\n")
    const ctx = makeContext(sandboxEnv(sb, "darwin"))
    expect(await runService(["uninstall"], ctx)).toBe(0)
    expect(existsSync(plistPath())).toBe(false)
    expect(filesUnder(sb.home)).toEqual(["Library/Logs/hookd/hookd.err.log"])
    expect(ctx.stdout()).toContain(`logs are kept in ${logDir()}`)
  })
})

describe("service install without launchctl (darwin)", () => {
  it("writes the plist, explains how to start hookd by hand and exits 0", async () => {
    const ctx = makeContext(sandboxEnv(sb, "darwin"))
    expect(await runService(["install"], ctx)).toBe(0)
    expect(existsSync(plistPath())).toBe(true)
    expect(ctx.stdout()).toContain("launchctl is not installed")
    expect(ctx.stdout()).toContain(`${process.execPath} ${join(REPO_ROOT, "bin", "hookd")} &`)
  })

  it("--dry-run writes nothing and prints the plist and the commands", async () => {
    standIn(sb, "launchctl")
    const ctx = makeContext(sandboxEnv(sb, "darwin"), { uid: 501 })
    expect(await runService(["install", "--dry-run"], ctx)).toBe(0)
    expect(filesUnder(sb.home)).toEqual([])
    expect(existsSync(join(sb.home, "Library"))).toBe(false)
    expect(recordedCalls(sb)).toEqual([])
    expect(ctx.stdout()).toContain(`would write ${plistPath()}`)
    expect(ctx.stdout()).toContain("<key>ProcessType</key>")
    expect(ctx.stdout()).toContain(`would run: launchctl bootstrap gui/501 ${plistPath()}`)
  })
})
