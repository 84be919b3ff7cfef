import { describe, expect, it } from "vitest"
import { bypassLine, hookSummary, useSymbols, type SummaryJob } from "../../src/client/hook-summary"

const job = (overrides: Partial<SummaryJob>): SummaryJob => ({
  invocation_id: "8b312988aaaabbbbccccdddd",
  name: "lint",
  status: "completed",
  exit_code: 0,
  signal: null,
  duration_ms: 1200,
  skip_reason: null,
  error: null,
  background: false,
  ...overrides
})

describe("useSymbols", () => {
  it.each([
    ["a UTF-8 terminal", true, { LANG: "en_US.UTF-8" }, true],
    ["utf8 spelled without the dash", true, { LC_ALL: "C.utf8" }, true],
    ["not a TTY (a pipe, CI logs)", false, { LANG: "en_US.UTF-8" }, false],
    ["isTTY undefined", undefined, { LANG: "en_US.UTF-8" }, false],
    ["NO_COLOR asks for plain output", true, { LANG: "en_US.UTF-8", NO_COLOR: "1" }, false],
    ["an empty NO_COLOR does not count", true, { LANG: "en_US.UTF-8", NO_COLOR: "" }, true],
    ["the C locale", true, { LANG: "C" }, false],
    ["no locale at all (C)", true, {}, false],
    ["LC_ALL wins over LANG", true, { LC_ALL: "POSIX", LANG: "en_US.UTF-8" }, false],
    ["LC_CTYPE wins over LANG", true, { LC_CTYPE: "en_US.UTF-8", LANG: "C" }, true],
    ["an empty LC_ALL is skipped", true, { LC_ALL: "", LANG: "de_DE.UTF-8" }, true],
    ["a Latin-1 locale", true, { LANG: "de_DE.ISO-8859-1" }, false]
  ])("%s", (_, isTTY, env, expected) => {
    expect(useSymbols(isTTY, env)).toBe(expected)
  })
})

describe("bypassLine", () => {
  it.each([
    ["pre-commit", "hookd: pre-commit failed — to go on anyway: git commit --no-verify (or HOOKD=0 git …)"],
    ["commit-msg", "hookd: commit-msg failed — to go on anyway: git commit --no-verify (or HOOKD=0 git …)"],
    ["pre-push", "hookd: pre-push failed — to go on anyway: git push --no-verify (or HOOKD=0 git …)"],
    ["pre-merge-commit", "hookd: pre-merge-commit failed — to go on anyway: git merge --no-verify (or HOOKD=0 git …)"],
    ["pre-rebase", "hookd: pre-rebase failed — to go on anyway: git rebase --no-verify (or HOOKD=0 git …)"],
    ["pre-auto-gc", "hookd: pre-auto-gc failed — to go on anyway: HOOKD=0 git …"],
    ["prepare-commit-msg", "hookd: prepare-commit-msg failed — to go on anyway: HOOKD=0 git commit … (git commit --no-verify does not skip prepare-commit-msg)"],
    ["post-checkout", "hookd: post-checkout runs after git has acted, so it blocks nothing; fix the job or rerun it with `hookctl retry`"],
    ["post-merge", "hookd: post-merge runs after git has acted, so it blocks nothing; fix the job or rerun it with `hookctl retry`"],
    ["reference-transaction", "hookd: reference-transaction runs after git has acted, so it blocks nothing; fix the job or rerun it with `hookctl retry`"]
  ])("%s", (hook, expected) => {
    expect(bypassLine(hook)).toBe(expected)
  })
})

describe("hookSummary", () => {
  const mixed = [
    job({ name: "lint", duration_ms: 1200 }),
    job({ name: "typecheck", status: "failed", exit_code: 2, duration_ms: 3400 }),
    job({ name: "test", status: "skipped", exit_code: null, duration_ms: null, skip_reason: "dependency typecheck failed" })
  ]

  it("shows each foreground job with ✓/✗/⊘, its duration, the logs address of a failure, and the bypass", () => {
    expect(hookSummary("pre-commit", mixed, true)).toEqual([
      "hookd: pre-commit summary",
      "  ✓ lint           1s",
      "  ✗ typecheck      3s  exit 2 — hookctl logs 8b312988:typecheck",
      "  ⊘ test       skipped: dependency typecheck failed",
      "hookd: pre-commit failed — to go on anyway: git commit --no-verify (or HOOKD=0 git …)"
    ])
  })

  it("falls back to ok/FAIL/skip, aligned the same way", () => {
    expect(hookSummary("pre-commit", mixed, false)).toEqual([
      "hookd: pre-commit summary",
      "  ok   lint           1s",
      "  FAIL typecheck      3s  exit 2 — hookctl logs 8b312988:typecheck",
      "  skip test       skipped: dependency typecheck failed",
      "hookd: pre-commit failed — to go on anyway: git commit --no-verify (or HOOKD=0 git …)"
    ])
  })

  it("has no bypass line when every job completed or was skipped", () => {
    expect(hookSummary("pre-commit", [job({}), job({ name: "b", status: "skipped", skip_reason: null })], false)).toEqual([
      "hookd: pre-commit summary",
      "  ok   lint      1s",
      "  skip b     skipped"
    ])
  })

  it.each([
    ["timed out", job({ status: "timed_out", exit_code: null }), "timed out"],
    ["killed by a signal", job({ status: "failed", exit_code: null, signal: "SIGKILL" }), "killed by SIGKILL"],
    ["failed with an error and no exit", job({ status: "failed", exit_code: null, error: "log write failed" }), "log write failed"],
    ["crashed", job({ status: "crashed", exit_code: null }), "crashed"],
    ["cancelled (Ctrl-C)", job({ status: "cancelled", exit_code: null }), "cancelled"]
  ])("names what went wrong: %s", (_, failed, detail) => {
    const [, line, bypass] = hookSummary("pre-push", [failed], false)
    expect(line).toBe(`  FAIL lint      1s  ${detail} — hookctl logs 8b312988:lint`)
    expect(bypass).toBe(bypassLine("pre-push"))
  })

  it("offers HOOKD_SKIP with the failed jobs for prepare-commit-msg, which git commit --no-verify does not skip", () => {
    const lines = hookSummary("prepare-commit-msg", [job({ name: "ticket", status: "failed", exit_code: 1 }), job({ name: "ok" })], false)
    expect(lines.at(-1)).toBe(
      "hookd: prepare-commit-msg failed — to go on anyway: HOOKD_SKIP=ticket git commit … to skip those jobs, " +
        "or HOOKD=0 git commit … (git commit --no-verify does not skip prepare-commit-msg)"
    )
  })

  it("leaves background jobs out, and prints nothing for a hook without foreground jobs", () => {
    expect(hookSummary("post-checkout", [job({ background: true })], true)).toEqual([])
    expect(hookSummary("pre-commit", [job({ name: "bg", background: true }), job({})], false)).toEqual([
      "hookd: pre-commit summary",
      "  ok   lint      1s"
    ])
  })

  it("escapes control characters in names and reasons", () => {
    const lines = hookSummary("pre-commit", [job({ name: "a\u001b[2Jb", status: "skipped", skip_reason: "x\ny" })], false)
    expect(lines.join("\n")).not.toMatch(/\u001b/)
    expect(lines[1]).not.toContain("\n")
    expect(lines[1]).toContain("\\e[2Jb")
  })
})
