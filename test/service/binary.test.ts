// The same code through the built client: `node bin/hookctl service …` (dist/ is built by the
// test global setup).
import { execFile } from "node:child_process"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { filesUnder, makeServiceSandbox, recordedCalls, standIn, type ServiceSandbox } from "./helpers"

const REPO_ROOT = join(__dirname, "..", "..")
const HOOKCTL = join(REPO_ROOT, "bin", "hookctl")

let sb: ServiceSandbox
beforeEach(() => {
  sb = makeServiceSandbox()
})
afterEach(() => sb.cleanup())

const hookctl = (args: ReadonlyArray<string>, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [HOOKCTL, ...args], { env, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr })
    )
  })

const env = (): Record<string, string> => ({
  HOME: sb.home,
  XDG_CONFIG_HOME: sb.config,
  XDG_RUNTIME_DIR: sb.runtime,
  PATH: sb.bin,
  HOOKD_SERVICE_PLATFORM: "linux",
  HOOKD_NO_AUTOSTART: "1"
})

describe("node bin/hookctl service", () => {
  it("install --dry-run prints the units and commands with absolute paths and changes nothing", async () => {
    standIn(sb, "systemctl")
    const r = await hookctl(["service", "install", "--dry-run"], env())
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`would write ${join(sb.config, "systemd", "user", "hookd.service")}`)
    // Bundled into dist/hookctl.cjs, the package root is still found: bin/hookd beside it.
    expect(r.stdout).toContain(`ExecStart="${process.execPath}" "${join(REPO_ROOT, "bin", "hookd")}" --idle-exit 30m`)
    expect(r.stdout).toContain("would run: systemctl --user enable --now hookd.socket")
    expect(filesUnder(sb.home)).toEqual([])
    expect(recordedCalls(sb)).toEqual([])
  })

  it("install without systemctl writes the units and exits 0", async () => {
    const r = await hookctl(["service", "install"], env())
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("No user service manager is reachable")
    expect(filesUnder(join(sb.config, "systemd", "user"))).toEqual(["hookd.service", "hookd.socket"])
  })

  it("exits 2 on a usage error", async () => {
    const r = await hookctl(["service", "frobnicate"], env())
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("usage: hookctl service")
  })
})
