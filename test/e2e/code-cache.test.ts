// The supervisor loads its bundle through a V8 code cache (src/supervisor/code-cache.ts): written
// beside the bundle once start-up is done, used by the next start, and a damaged or unusable cache
// only costs a compile from source — the supervisor starts, answers, never prints a stack trace or
// aborts inside V8, and writes a good cache again. Each test runs a private copy of the bundles
// (inside this checkout, so node_modules resolves) so that its cache is its own.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { makeGitRepo } from "../support/git"
import { handOver, isRoot, SKIP_NOT_ROOT, useThrowawayUser } from "../support/other-user"
import { makeSandbox, outputContains, REPO_ROOT, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox | undefined
let copy: string | undefined
afterEach(() => {
  sandbox?.cleanup()
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true })
})

/** dist/hookd.mjs and dist/hookd.cjs copied to a directory of their own. */
const copyBundles = (): string => {
  const parent = join(REPO_ROOT, "dist", "test-cache")
  mkdirSync(parent, { recursive: true })
  const dir = (copy = mkdtempSync(join(parent, "code-cache-")))
  chmodSync(dir, 0o755) // readable by the throwaway user, writable only by us
  for (const file of ["hookd.mjs", "hookd.cjs"]) copyFileSync(join(REPO_ROOT, "dist", file), join(dir, file))
  return dir
}

const cacheFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith(".v8cache"))

/** The "started" line's fields. */
const startedLine = (hookd: RunningSupervisor): Record<string, unknown> =>
  JSON.parse(hookd.output().split("\n").find((l) => l.includes('"event":"started"'))!) as Record<string, unknown>

/** Starts the copy, waits until start-up is over (the retention sweep, or its skipping, follows the cache's save), checks it answers. */
const startCopy = async (dir: string, as?: { uid: number; gid: number }) => {
  const hookd = await startSupervisor(sandbox!, [], {}, as, join(dir, "hookd.mjs"))
  try {
    // retention_sweep, or retention_sweep_skipped when the previous copy stopped cleanly.
    await outputContains(hookd, '"event":"retention_sweep')
    // (the client refuses another user's socket; "started" is that user's supervisor serving)
    if (as !== undefined) return hookd
    const c = await TestClient.connect(sandbox!.socket)
    try {
      expect(await c.request("Hello", { client: "test", client_version: "0" })).toMatchObject({ kind: "Welcome" })
    } finally {
      c.close()
    }
    return hookd
  } catch (e) {
    await hookd.stop("SIGKILL")
    throw e
  }
}

const expectNoCrash = (hookd: RunningSupervisor) => {
  expect(hookd.output()).not.toMatch(/Fatal error|\n\s+at |internal error/)
}

describe("the supervisor's code cache", () => {
  it("is written beside the bundle after the first start-up, and the next start uses it", async () => {
    sandbox = makeSandbox()
    const dir = copyBundles()
    const first = await startCopy(dir)
    expect(startedLine(first).code_cache).toBe("absent")
    expect(first.output()).toContain('"event":"code_cache_written","pid"')
    await first.stopCleanly()
    expect(cacheFiles(dir)).toEqual([expect.stringMatching(/^hookd\.cjs\.[0-9a-f]{16}\.v\d+\.\d+\.\d+-\w+\.v8cache$/)])

    const second = await startCopy(dir)
    expect(startedLine(second).code_cache).toBe("accepted")
    expect(second.output()).not.toContain("code_cache_written")
    await second.stopCleanly()
  })

  // The loader compiles with V8's optimizing compilers off (code-cache.ts START_UP_FLAGS): an idle
  // supervisor that has only started never needs them. They come back with the first request that
  // is work (not a Hello or Status answered from memory) — and only once the cache is written, as
  // V8 keys the cache by the flags: the next start, compiled with the same flags, takes it.
  it("the start-up-only V8 flags end with the first request, after the cache is written, and the next start still takes the cache", async () => {
    sandbox = makeSandbox()
    const dir = copyBundles()
    const ended = '"event":"start_up_flags_ended"'
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    for (const expected of ["absent", "accepted"]) {
      const hookd = await startCopy(dir) // start-up done, and a Hello answered
      expect(startedLine(hookd).code_cache).toBe(expected)
      const c = await TestClient.connect(sandbox.socket)
      try {
        expect(await c.request("Status", {})).toMatchObject({ kind: "SupervisorStatus" })
        expect(hookd.output()).not.toContain(ended)
        expect(await c.request("ListJobs", { repo_root: repo, limit: 1 })).toMatchObject({ kind: "Jobs" })
      } finally {
        c.close()
      }
      await outputContains(hookd, ended)
      const line = JSON.parse(hookd.output().split("\n").find((l) => l.includes(ended))!) as { v8_flags: unknown }
      expect(line.v8_flags).toEqual(["--turbofan", "--sparkplug"])
      if (expected === "absent") expect(hookd.output().indexOf('"event":"code_cache_written"')).toBeLessThan(hookd.output().indexOf(ended))
      expectNoCrash(hookd)
      await hookd.stopCleanly()
    }
  })

  const damages: ReadonlyArray<[string, (good: Buffer) => Buffer]> = [
    // The header intact, the payload not: without a checksum, V8 aborts the process deserializing this.
    ["bytes flipped in the middle", (good) => Buffer.from(good.map((b, i) => (i > 1000 && i % 997 === 0 ? b ^ 0x5a : b)))],
    ["truncated to half", (good) => good.subarray(0, good.length >> 1)],
    ["empty", () => Buffer.alloc(0)],
    ["random bytes of the same length", (good) => Buffer.from(good.map(() => Math.floor(Math.random() * 256)))],
    ["a cache made by another build's source", (good) => Buffer.concat([good.subarray(0, 64), Buffer.alloc(good.length - 64, 7)])]
  ]

  it.each(damages)("damaged (%s): compiled from source without a word on the terminal, then written again", async (_, damage) => {
    sandbox = makeSandbox()
    const dir = copyBundles()
    await (await startCopy(dir)).stopCleanly()
    const [name] = cacheFiles(dir)
    const path = join(dir, name!)
    writeFileSync(path, damage(readFileSync(path)))

    const hookd = await startCopy(dir)
    expect(startedLine(hookd).code_cache).toBe("rejected")
    expect(hookd.output()).toContain('"event":"code_cache_written"')
    expectNoCrash(hookd)
    await hookd.stopCleanly()
    const again = await startCopy(dir)
    expect(startedLine(again).code_cache).toBe("accepted")
    await again.stopCleanly()
  })

  it("unreadable (a directory in its place): starts from source and says once in the log why it kept no cache", async () => {
    sandbox = makeSandbox()
    const dir = copyBundles()
    await (await startCopy(dir)).stopCleanly()
    const [name] = cacheFiles(dir)
    rmSync(join(dir, name!))
    mkdirSync(join(dir, name!))
    const hookd = await startCopy(dir)
    expect(startedLine(hookd).code_cache).toBe("unreadable")
    expect(hookd.output()).toMatch(/"level":"warn","event":"code_cache_not_written".*"message":"[^"]*EISDIR/)
    expectNoCrash(hookd)
    await hookd.stopCleanly()
  })

  it("replaces the cache of an older build of the bundle", async () => {
    sandbox = makeSandbox()
    const dir = copyBundles()
    const old = `hookd.cjs.0123456789abcdef.${process.version}-${process.arch}.v8cache`
    writeFileSync(join(dir, old), "an older build's cache")
    await (await startCopy(dir)).stopCleanly()
    expect(cacheFiles(dir)).toHaveLength(1)
    expect(cacheFiles(dir)).not.toContain(old)
  })
})

describe("the supervisor's code cache when the bundle's directory is not the user's", () => {
  const other = useThrowawayUser()

  it.skipIf(!isRoot)(`lives in the user's state dir instead (${isRoot ? "as a throwaway user" : SKIP_NOT_ROOT})`, async () => {
    const box = (sandbox = makeSandbox())
    const dir = dirname(other.install!.hookd)
    const as = handOver(box.dir, other.user!)
    const first = await startCopy(dir, as)
    expect(startedLine(first).code_cache).toBe("absent")
    expect(first.output()).toContain('"event":"code_cache_written"')
    await first.stopCleanly()
    expect(cacheFiles(dir)).toEqual([])
    expect(cacheFiles(join(box.stateDir, "cache"))).toHaveLength(1)
    const second = await startCopy(dir, as)
    expect(startedLine(second).code_cache).toBe("accepted")
    await second.stopCleanly()

    // A cache dir others may write to is not read (code is loaded from it) nor written.
    chmodSync(join(box.stateDir, "cache"), 0o777)
    const third = await startCopy(dir, as)
    expect(startedLine(third).code_cache).toBe("unsafe_dir")
    expect(third.output()).not.toContain("code_cache_written")
    await third.stopCleanly()
  })
})
