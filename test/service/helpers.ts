// A sandbox for the service installer: temp HOME and XDG_CONFIG_HOME, a bin/ directory of
// stand-in systemctl/launchctl scripts that record their argv, and a context capturing output.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import type { Env, ServiceContext } from "../../src/service/context"
import { locateInstallation } from "../../src/service/installation"

export interface ServiceSandbox {
  readonly dir: string
  readonly home: string
  readonly config: string
  readonly bin: string
  /** Each stand-in appends one line per call: its name and argv, space-separated. */
  readonly record: string
  readonly runtime: string
  cleanup(): void
}

export const makeServiceSandbox = (): ServiceSandbox => {
  const dir = mkdtempSync(join(tmpdir(), "hookd-service-"))
  const paths = {
    home: join(dir, "home"),
    config: join(dir, "home", ".config-xdg"),
    bin: join(dir, "bin"),
    runtime: join(dir, "run")
  }
  for (const d of Object.values(paths)) mkdirSync(d, { recursive: true, mode: 0o700 })
  return { dir, ...paths, record: join(dir, "calls.log"), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A stand-in `name` on the sandbox PATH: records its argv, then runs `body` (sh). */
export const standIn = (sb: ServiceSandbox, name: string, body = "exit 0"): void => {
  const path = join(sb.bin, name)
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${sb.record}'\n${body}\n`)
  chmodSync(path, 0o755)
}

export const recordedCalls = (sb: ServiceSandbox): ReadonlyArray<string> =>
  existsSync(sb.record) ? readFileSync(sb.record, "utf8").split("\n").filter((l) => l !== "") : []

/** Every file (not directory) under `dir`, relative to it. */
export const filesUnder = (dir: string): ReadonlyArray<string> => {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      if (statSync(p).isDirectory()) walk(p)
      else out.push(relative(dir, p))
    }
  }
  if (existsSync(dir)) walk(dir)
  return out.sort()
}

export interface CapturingContext extends ServiceContext {
  readonly stdout: () => string
  readonly stderr: () => string
}

/** PATH holds only the sandbox bin/ (plus /bin for `sh` features the stand-ins do not need). */
export const sandboxEnv = (sb: ServiceSandbox, platform: "linux" | "darwin", extra: Env = {}): Env => ({
  HOME: sb.home,
  XDG_CONFIG_HOME: sb.config,
  XDG_RUNTIME_DIR: sb.runtime,
  XDG_STATE_HOME: join(sb.home, ".state-xdg"),
  PATH: sb.bin,
  HOOKD_SERVICE_PLATFORM: platform,
  ...extra
})

export const makeContext = (env: Env, overrides: Partial<ServiceContext> = {}): CapturingContext => {
  let stdout = ""
  let stderr = ""
  return {
    env,
    platform: "linux",
    uid: 501,
    installation: locateInstallation(),
    commandTimeoutMs: 4_000,
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    stdout: () => stdout,
    stderr: () => stderr,
    ...overrides
  }
}
