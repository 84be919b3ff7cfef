// The spool file format and the entry checks (pure), table-driven.
import { describe, expect, it } from "vitest"
import { mkdirSync, mkdtempSync, rmSync, utimesSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MAX_SPOOL_FILE_BYTES, parseSpoolFile, refusalOf, SPOOL_MAGIC, WAIT_MAGIC } from "../../src/spool/request-file"
import { staleAfterFromEnv, sweepWaitDirs } from "../../src/spool/intake"

const file = (...fields: string[]) => Buffer.from(fields.map((f) => `${f}\0`).join(""))

describe("parseSpoolFile", () => {
  it("reads the worktree, hook, args and env; any byte but NUL survives", () => {
    const parsed = parseSpoolFile(file(SPOOL_MAGIC, "/w t", "post-checkout", "3", "a", "", "b\nc", "X=1=2", "Y=line\nbreak ü", "EMPTY="))
    expect(parsed).toEqual({
      ok: true,
      request: { worktree: "/w t", hook: "post-checkout", args: ["a", "", "b\nc"], env: { X: "1=2", Y: "line\nbreak ü", EMPTY: "" } }
    })
  })
  it("keeps the first of a duplicated variable, as getenv does", () => {
    const parsed = parseSpoolFile(file(SPOOL_MAGIC, "/w", "post-merge", "0", "A=1", "A=2"))
    expect(parsed.ok && parsed.request.env).toEqual({ A: "1" })
  })
  it("accepts no args and no environment", () => {
    expect(parseSpoolFile(file(SPOOL_MAGIC, "/w", "post-commit", "0"))).toEqual({ ok: true, request: { worktree: "/w", hook: "post-commit", args: [], env: {} } })
  })
  it.each([
    ["empty", Buffer.alloc(0), "truncated"],
    ["no final NUL", Buffer.from(`${SPOOL_MAGIC}\0/w\0post-commit\x000`), "truncated"],
    ["another header", file("hookd-spool v2", "/w", "post-commit", "0"), "not a hookd spool file"],
    ["a relative worktree", file(SPOOL_MAGIC, "w", "post-commit", "0"), "not an absolute path"],
    ["no hook", file(SPOOL_MAGIC, "/w"), "hook name"],
    ["a hook name with a slash", file(SPOOL_MAGIC, "/w", "../x", "0"), "hook name"],
    ["a non-numeric argc", file(SPOOL_MAGIC, "/w", "post-commit", "x"), "argument count"],
    ["a padded argc", file(SPOOL_MAGIC, "/w", "post-commit", "01"), "argument count"],
    ["an argc over the limit", file(SPOOL_MAGIC, "/w", "post-commit", "65"), "argument count"],
    ["fewer args than announced", file(SPOOL_MAGIC, "/w", "post-commit", "3", "a"), "3 arguments announced, 1 present"],
    ["an env entry without =", file(SPOOL_MAGIC, "/w", "post-commit", "0", "NOEQUALS"), "NAME=value"],
    ["an env entry with an empty name", file(SPOOL_MAGIC, "/w", "post-commit", "0", "=x"), "NAME=value"]
  ])("refuses %s", (_what, bytes, reason) => {
    const parsed = parseSpoolFile(bytes)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.reason).toContain(reason)
  })
})

describe("parseSpoolFile, a wait shim's request", () => {
  it("reads the request directory and the flags, then the fields of a spool request", () => {
    expect(parseSpoolFile(file(WAIT_MAGIC, "/s/wait/42", "emi", "/w", "pre-push", "2", "origin", "url", "A=1"))).toEqual({
      ok: true,
      request: {
        wait: { dir: "/s/wait/42", flags: { stdoutIsTTY: false, stderrIsTTY: true, merged: true, stdin: true } },
        worktree: "/w",
        hook: "pre-push",
        args: ["origin", "url"],
        env: { A: "1" }
      }
    })
    expect(parseSpoolFile(file(WAIT_MAGIC, "/d", "", "/w", "pre-commit", "0"))).toEqual({
      ok: true,
      request: { wait: { dir: "/d", flags: { stdoutIsTTY: false, stderrIsTTY: false, merged: false, stdin: false } }, worktree: "/w", hook: "pre-commit", args: [], env: {} }
    })
  })
  it.each([
    ["no request directory", file(WAIT_MAGIC), "request directory"],
    ["a relative request directory", file(WAIT_MAGIC, "d", "", "/w", "pre-commit", "0"), "request directory is not an absolute path"],
    ["no flags", file(WAIT_MAGIC, "/d"), "flags"],
    ["an unknown flag", file(WAIT_MAGIC, "/d", "ox", "/w", "pre-commit", "0"), "flags"],
    ["a relative worktree", file(WAIT_MAGIC, "/d", "", "w", "pre-commit", "0"), "worktree is not an absolute path"],
    ["a bad hook name", file(WAIT_MAGIC, "/d", "", "/w", "Pre commit", "0"), "hook name"],
    ["fewer args than announced", file(WAIT_MAGIC, "/d", "", "/w", "pre-commit", "2", "a"), "2 arguments announced, 1 present"],
    ["another version", file("hookd-wait v2", "/d", "", "/w", "pre-commit", "0"), "not a hookd spool file"]
  ])("refuses %s", (_what, bytes, reason) => {
    const parsed = parseSpoolFile(bytes)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.reason).toContain(reason)
  })
})

describe("sweepWaitDirs (at start)", () => {
  it("removes what dead shims left a minute ago or more, and anything a day old; keeps the rest", () => {
    const root = mkdtempSync(join(tmpdir(), "hookd-wait-sweep-"))
    try {
      const now = Date.now()
      const make = (name: string, ageMs: number) => {
        mkdirSync(join(root, name))
        utimesSync(join(root, name), (now - ageMs) / 1000, (now - ageMs) / 1000)
      }
      const dead = 2 ** 22 + 12345 // above pid_max's default: no such process
      make(String(dead), 120_000) // a dead shim's, 2 minutes old: gone
      make(`${dead + 1}`, 1_000) // a dead shim's, just made (its request may be in the spool): kept
      make(String(process.pid), 120_000) // a running process's: kept
      make(String(process.pid + 0) + "x", 120_000) // not a pid: gone
      make("1", 2 * 24 * 60 * 60 * 1000) // two days old, whatever runs as pid 1: gone
      expect([...sweepWaitDirs(root, now)].sort()).toEqual(["1", String(dead), `${process.pid}x`].sort())
      expect(sweepWaitDirs(root, now)).toEqual([])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe("refusalOf", () => {
  const regular = { isFile: true, isSymbolicLink: false, uid: 1000, size: 10 }
  it.each([
    ["a regular file of ours", regular, undefined],
    ["at the size cap", { ...regular, size: MAX_SPOOL_FILE_BYTES }, undefined],
    ["over the size cap", { ...regular, size: MAX_SPOOL_FILE_BYTES + 1 }, "more than the"],
    ["another user's", { ...regular, uid: 0 }, "owned by uid 0"],
    ["a symlink", { ...regular, isFile: false, isSymbolicLink: true }, "symbolic link"],
    ["a directory or fifo", { ...regular, isFile: false }, "not a regular file"]
  ])("%s", (_what, entry, reason) => {
    const refusal = refusalOf(entry, 1000)
    if (reason === undefined) expect(refusal).toBeUndefined()
    else expect(refusal).toContain(reason)
  })
})

describe("staleAfterFromEnv (HOOKD_SPOOL_STALE_AFTER)", () => {
  it.each([
    [undefined, 3_600_000, false],
    ["", 3_600_000, false],
    ["30m", 1_800_000, false],
    ["90", 90_000, false],
    ["0", Number.POSITIVE_INFINITY, false],
    ["soon", 3_600_000, true]
  ])("%j → %d ms", (raw, ms, problem) => {
    const got = staleAfterFromEnv(raw)
    expect(got.ms).toBe(ms)
    expect(got.problem !== undefined).toBe(problem)
  })
})
