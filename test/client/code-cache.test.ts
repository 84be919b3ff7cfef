// bin/hookctl compiles its bundle with a V8 code cache in <state>/cache/ (issue 13: start-up): the
// first run writes it, later runs use it as it is, a damaged one is replaced (never a crash inside
// V8), a cache of another build is removed, and the cache is never a reason for a command to fail,
// to create the state dir, or to load code from a directory others may write to.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeEach, describe, expect, it } from "vitest"
import { useScriptedServer } from "./scripted-server"
import { ROOT, runHookctl, tempDir } from "./support"

const STATUS = {
  pid: 4242, uptime_ms: 1000, repos: 0, running: 0, queued: 0, connections: 1, rss_bytes: 50 * 1024 * 1024, version: "0.1.0"
}

describe("hookctl's code cache", () => {
  let repo: string
  let env: Record<string, string>
  let state: string
  const { serve } = useScriptedServer("hookctl-code-cache-", (ready) => ({ repo, env } = ready))
  const temp = tempDir("hookctl-code-cache-state-")
  afterAll(() => temp.cleanup())

  beforeEach(async () => {
    state = join(temp.dir, `state-${Math.random().toString(36).slice(2)}`)
    mkdirSync(state, { mode: 0o700 })
    await serve(() => ({ answers: [{ kind: "SupervisorStatus", payload: STATUS }] }))
  })

  const status = async (extra: Record<string, string> = {}) => {
    const r = await runHookctl(["status"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: state, ...extra } })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^pid\s+4242$/m)
    return r
  }
  const cacheDir = () => join(state, "cache")
  const caches = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()) : [])
  /** bin/hookctl's format: a magic line, then V8's data twice. */
  const wellFormed = (file: string): boolean => {
    const bytes = readFileSync(file)
    const magic = bytes.indexOf(0x0a) + 1
    const half = (bytes.length - magic) / 2
    return bytes.toString("latin1", 0, magic).startsWith("hookctl-cache-") && half > 0 && bytes.subarray(magic, magic + half).equals(bytes.subarray(magic + half))
  }

  it("is written by the first run, then used as it is (not rewritten)", async () => {
    await status()
    expect(caches()).toEqual([expect.stringMatching(new RegExp(`^hookctl-${process.version}-${process.arch}-\\d+-\\d+-status\\.v8$`))])
    const file = join(cacheDir(), caches()[0])
    const written = statSync(file)
    expect(written.size).toBeGreaterThan(1000)
    expect(wellFormed(file)).toBe(true)
    expect(written.mode & 0o777).toBe(0o600)
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700)
    const first = await status()
    const second = await status()
    expect(second.stdout).toBe(first.stdout)
    expect(statSync(file).mtimeMs).toBe(written.mtimeMs) // V8 accepted it: nothing to write again
  })

  it("each hot command has a cache of its own, and one command's run leaves another's cache alone", async () => {
    await status()
    const [statusName] = caches()
    const statusCache = join(cacheDir(), statusName!)
    const written = statSync(statusCache).mtimeMs
    // The scripted server answers SupervisorStatus to anything: ls fails, but it ran its own code.
    await runHookctl(["ls"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: state } })
    await runHookctl(["--repo", repo, "cancel", "--all"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: state } })
    expect(caches().map((name) => name.replace(/^.*-/, "")).sort()).toEqual(["ls.v8", "other.v8", "status.v8"])
    expect(statSync(statusCache).mtimeMs).toBe(written)
    await status()
    expect(statSync(statusCache).mtimeMs).toBe(written)
  })

  it("status, ls and run-hook load a bundle of their own (their caches are named for its size); help goes to the whole client", async () => {
    const sizeOf = (bundle: string) => statSync(join(ROOT, "dist", bundle)).size
    const buildOf = (suffix: string) => caches().find((name) => name.endsWith(suffix))?.split("-")[3]
    await status()
    expect(buildOf("-status.v8")).toBe(String(sizeOf("hookctl-status.cjs")))
    await runHookctl(["ls"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: state } })
    expect(buildOf("-ls.v8")).toBe(String(sizeOf("hookctl-ls.cjs")))
    // The scripted server's answer is not a hook's: the run fails, after its bundle ran.
    await runHookctl(["run-hook", "pre-commit", "--", "-h"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: state } })
    expect(buildOf("-run-hook.v8")).toBe(String(sizeOf("hookctl-run-hook.cjs"))) // a hook's own -h is not hookctl's
    const help = await runHookctl(["status", "--help"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: state } })
    expect(help.stdout).toContain("usage: hookctl status")
    expect(caches().filter((name) => name.split("-")[3] === String(sizeOf("hookctl.cjs")))).toEqual([expect.stringMatching(/-status\.v8$/)])
  })

  it("a file that is not a cache is ignored and replaced; the command's output is the same", async () => {
    const clean = await status()
    const file = join(cacheDir(), caches()[0])
    writeFileSync(file, "not a code cache")
    expect((await status()).stdout).toBe(clean.stdout)
    expect(wellFormed(file)).toBe(true)
    expect(caches()).toHaveLength(1)
  })

  it("damaged bytes behind an intact header, or a truncated file, are caught before V8 sees them (V8 would abort node)", async () => {
    const clean = await status()
    const file = join(cacheDir(), caches()[0])
    const good = readFileSync(file)
    const damaged = Buffer.from(good)
    for (let i = good.length >> 2; i < (good.length >> 2) + 2000; i++) damaged[i] ^= 0x5a
    writeFileSync(file, damaged)
    expect((await status()).stdout).toBe(clean.stdout)
    expect(readFileSync(file).equals(damaged)).toBe(false) // written again
    expect(wellFormed(file)).toBe(true)
    const truncated = readFileSync(file).subarray(0, good.length - 1000)
    writeFileSync(file, truncated)
    expect((await status()).stdout).toBe(clean.stdout)
    expect(wellFormed(file)).toBe(true)
  })

  it("other builds' caches are kept up to the newest three (two installs used in turn do not rewrite theirs each run)", async () => {
    mkdirSync(cacheDir(), { mode: 0o700 })
    const others = [1, 2, 3, 4, 5].map((i) => `hookctl-v0.0.${i}-x64-1-1.v8`)
    others.forEach((name, i) => {
      writeFileSync(join(cacheDir(), name), "another build's")
      utimesSync(join(cacheDir(), name), 1_700_000_000 + i, 1_700_000_000 + i) // v0.0.5 newest
    })
    writeFileSync(join(cacheDir(), "unrelated"), "kept")
    await status()
    const own = caches().filter((name) => name.startsWith(`hookctl-${process.version}-`))
    expect(own).toHaveLength(1)
    expect(caches().sort()).toEqual([...own, "hookctl-v0.0.3-x64-1-1.v8", "hookctl-v0.0.4-x64-1-1.v8", "hookctl-v0.0.5-x64-1-1.v8", "unrelated"].sort())
  })

  it("a cache dir that others may write to is neither read nor written", async () => {
    mkdirSync(cacheDir())
    chmodSync(cacheDir(), 0o777)
    await status()
    expect(caches()).toEqual([])
  })

  it("HOOKD_CODE_CACHE=0 writes none", async () => {
    await status({ HOOKD_CODE_CACHE: "0" })
    expect(existsSync(cacheDir())).toBe(false)
  })

  it("a state dir that does not exist is not created for it", async () => {
    const missing = join(temp.dir, "never-made")
    const r = await runHookctl(["status"], { cwd: repo, env: { ...env, HOOKD_STATE_DIR: missing } })
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(missing)).toBe(false)
  })

  it("a cache dir that cannot be made (a file in its place) costs the cache, never the command", async () => {
    writeFileSync(cacheDir(), "in the way")
    await status()
    await status()
    expect(readFileSync(cacheDir(), "utf8")).toBe("in the way")
  })
})
