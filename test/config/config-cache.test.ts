// The config of a worktree is read once while its files stay the same (issue 13): every change to
// a file it was read from, a new or removed file, and an error take effect at the next load.
import { unlinkSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { CONFIG_CACHE_ENTRIES, configCacheSize } from "../../src/config/config-cache"
import { configFileReads } from "../../src/config/files"
import { context, load, loadOk, tempDir } from "./support"

const job = (name: string) => `hooks:\n  pre-commit:\n    jobs:\n      - name: ${name}\n        run: echo ${name}\n`

/** Writes `text` with an mtime `ageS` seconds in the past: out of the racy window, and distinct per call. */
const writeAged = (path: string, text: string, ageS: number): void => {
  writeFileSync(path, text)
  const at = Date.now() / 1000 - ageS
  utimesSync(path, at, at)
}

/** The loaded job names and how many config files that load read. */
const names = async (dir: string, env: Record<string, string> = {}) => {
  const before = configFileReads()
  const loaded = await loadOk(context(dir, { env }))
  return { jobs: loaded.jobs.map((j) => [j.name, j.skip_reason]), reads: configFileReads() - before }
}

describe("config cache", () => {
  it("a second load of unchanged files reads nothing; per-run parts are still evaluated", async () => {
    const dir = tempDir()
    writeAged(join(dir, "hookd.yml"), `${job("lint")}        skip:\n          - env: SKIPME\n`, 100)
    expect(await names(dir)).toEqual({ jobs: [["lint", undefined]], reads: 1 })
    expect(await names(dir)).toEqual({ jobs: [["lint", undefined]], reads: 0 })
    // The condition reads the request's env: evaluated again from the cached config.
    expect((await names(dir, { SKIPME: "1" })).jobs[0]![1]).toMatch(/SKIPME/)
  })

  it("an edit of the same size with a new mtime is read at the next load", async () => {
    const dir = tempDir()
    writeAged(join(dir, "hookd.yml"), job("aaaa"), 100)
    expect(await names(dir)).toEqual({ jobs: [["aaaa", undefined]], reads: 1 })
    writeAged(join(dir, "hookd.yml"), job("bbbb"), 99)
    expect(await names(dir)).toEqual({ jobs: [["bbbb", undefined]], reads: 1 })
    expect(await names(dir)).toEqual({ jobs: [["bbbb", undefined]], reads: 0 })
  })

  it("a file modified just now is read at every load (its mtime may not change at the next edit)", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "hookd.yml"), job("fresh"))
    expect((await names(dir)).reads).toBe(1)
    expect((await names(dir)).reads).toBe(1)
  })

  it("adding and removing hookd-local.yml take effect at the next load", async () => {
    const dir = tempDir()
    writeAged(join(dir, "hookd.yml"), job("base"), 100)
    expect(await names(dir)).toEqual({ jobs: [["base", undefined]], reads: 1 })
    writeAged(join(dir, "hookd-local.yml"), job("mine"), 100)
    expect(await names(dir)).toEqual({ jobs: [["base", undefined], ["mine", undefined]], reads: 2 })
    expect((await names(dir)).reads).toBe(0)
    unlinkSync(join(dir, "hookd-local.yml"))
    expect(await names(dir)).toEqual({ jobs: [["base", undefined]], reads: 1 })
  })

  it("a config file appearing earlier in the search order wins at the next load", async () => {
    const dir = tempDir()
    writeAged(join(dir, ".hookd.yml"), job("dotted"), 100)
    expect((await names(dir)).jobs).toEqual([["dotted", undefined]])
    writeAged(join(dir, "hookd.yml"), job("plain"), 100)
    expect(await names(dir)).toEqual({ jobs: [["plain", undefined]], reads: 1 })
  })

  it("a config error is reported at the next load, again at the one after, and its fix takes effect", async () => {
    const dir = tempDir()
    const file = join(dir, "hookd.yml")
    writeAged(file, job("good"), 100)
    expect((await names(dir)).jobs).toEqual([["good", undefined]])
    writeAged(file, "hooks:\n  pre-commit:\n    jobs:\n      - name: bad\n        runn: x\n", 99)
    for (let i = 0; i < 2; i++) {
      const result = await load(context(dir))
      expect(Either.isLeft(result) && result.left.file).toBe(file)
    }
    writeAged(file, job("fixed"), 98)
    expect(await names(dir)).toEqual({ jobs: [["fixed", undefined]], reads: 1 })
  })

  it("the removed config means no jobs at the next load", async () => {
    const dir = tempDir()
    writeAged(join(dir, "hookd.yml"), job("gone"), 100)
    expect((await names(dir)).jobs).toEqual([["gone", undefined]])
    unlinkSync(join(dir, "hookd.yml"))
    expect(await names(dir)).toEqual({ jobs: [], reads: 0 })
  })

  it("remembers at most CONFIG_CACHE_ENTRIES worktrees, forgetting the least recently used", async () => {
    const dirs = Array.from({ length: CONFIG_CACHE_ENTRIES + 1 }, () => tempDir())
    for (const dir of dirs) writeAged(join(dir, "hookd.yml"), job("x"), 100)
    for (const dir of dirs) await names(dir)
    expect(configCacheSize()).toBe(CONFIG_CACHE_ENTRIES)
    expect((await names(dirs[0]!)).reads).toBe(1)
    expect((await names(dirs[CONFIG_CACHE_ENTRIES]!)).reads).toBe(0)
  })
})
