// The rendered units must satisfy systemd itself: `systemd-analyze --user verify` checks syntax,
// unknown keys, dependencies and that ExecStart's program exists and is executable.
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { locateInstallation, type Installation } from "../../src/service/installation"
import { loadSystemdTemplates, renderSystemdUnits } from "../../src/service/unit-files"

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookd-verify-"))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

interface Verdict {
  readonly code: number
  readonly output: string
}

/** Runs verify in user mode, with a private runtime dir so %t resolves without a user session. */
const verify = (paths: ReadonlyArray<string>): Promise<Verdict> => {
  const runtime = join(dir, "runtime")
  mkdirSync(runtime, { recursive: true, mode: 0o700 })
  return new Promise((resolve) => {
    execFile(
      "systemd-analyze",
      ["--user", "verify", ...paths],
      { env: { PATH: process.env.PATH, XDG_RUNTIME_DIR: runtime, HOME: dir }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` })
    )
  })
}

/** Writes the units as `hookctl service install` renders them for `installation` and `env`. */
const renderInto = (installation: Installation, env: Record<string, string>): ReadonlyArray<string> => {
  const unitDir = join(dir, "units")
  mkdirSync(unitDir, { recursive: true })
  const units = renderSystemdUnits(loadSystemdTemplates(installation.root), installation, { ...env, XDG_CONFIG_HOME: unitDir })
  return units.map((u) => {
    const path = join(unitDir, u.path.split("/").pop()!)
    writeFileSync(path, u.content)
    return path
  })
}

/**
 * Lines about our own units. verify may also print about units it loads as dependencies on some
 * machines (none on this one); those are not ours to fix, so only lines naming hookd count.
 */
const aboutOurUnits = (output: string): ReadonlyArray<string> => output.split("\n").filter((l) => /hookd/.test(l))

describe("systemd-analyze verify", () => {
  it("accepts the rendered hookd.socket and hookd.service without a single warning", async () => {
    const paths = renderInto(locateInstallation(), { HOME: dir })
    const verdict = await verify(paths)
    expect(aboutOurUnits(verdict.output)).toEqual([])
    expect(verdict.code).toBe(0)
  })

  it("accepts paths with spaces, quotes, % and $ (they are escaped, not expanded)", async () => {
    // ExecStart's program must exist, so node is a symlink to the real one. systemd refuses
    // quotes and backslashes in a program path (render.test.ts covers that refusal).
    const odd = join(dir, `in st%all "it's" $HOME`)
    const oddNode = join(dir, "no de%$PATH", "node")
    mkdirSync(join(odd, "bin"), { recursive: true })
    mkdirSync(join(dir, "no de%$PATH"))
    symlinkSync(process.execPath, oddNode)
    writeFileSync(join(odd, "bin", "hookd"), "#!/bin/sh\n", { mode: 0o755 })
    const real = locateInstallation()
    const installation = { ...real, node: oddNode, hookd: join(odd, "bin", "hookd") }
    const paths = renderInto(installation, { HOME: dir, HOOKD_STATE_DIR: join(odd, "state dir") })
    const verdict = await verify(paths)
    expect(aboutOurUnits(verdict.output)).toEqual([])
    expect(verdict.code).toBe(0)
  })

  it("does report a broken unit (so the checks above can fail)", async () => {
    const [socket, service] = renderInto(locateInstallation(), { HOME: dir })
    writeFileSync(service, `[Service]\nExecStart=${join(dir, "no-such-node")} x\nBogusKey=1\n`)
    const verdict = await verify([socket, service])
    expect(aboutOurUnits(verdict.output).join("\n")).toMatch(/BogusKey|no-such-node/)
  })
})
