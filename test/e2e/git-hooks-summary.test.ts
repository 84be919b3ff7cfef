// The run-hook summary (issue 10 item 6), with a real supervisor and real git: after a commit's
// foreground jobs end, one block on stderr names each job with its mark and duration, gives the
// `hookctl logs` address of a failure, and ends with the bypass. git's stderr here is a pipe, so the
// block is in its plain form (ok/FAIL/skip); the symbol form is the formatter's unit test.
import { join } from "node:path"
import { expect, it } from "vitest"
import { runGit } from "../support/git"
import { lsJson } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { repoWithHooks, useSupervisor } from "./helpers"

let sandbox: Sandbox

useSupervisor({}, (started) => ({ sandbox } = started))

/** The summary block: from its header to the end of git's stderr. */
const summaryOf = (stderr: string): string[] => {
  const lines = stderr.trimEnd().split("\n")
  const start = lines.findIndex((line) => /^hookd: \S+ summary$/.test(line))
  return start === -1 ? [] : lines.slice(start)
}

it("a failed commit ends with the jobs' marks, the failure's logs address and git commit --no-verify", async () => {
  const repo = await repoWithHooks(
    sandbox,
    join(sandbox.dir, "failing"),
    `hooks:
  pre-commit:
    jobs:
      - { name: lint, run: "echo linted" }
      - { name: typecheck, run: "echo 'type error' >&2; exit 3" }
      - { name: test, run: "echo never", needs: [typecheck] }
`
  )
  const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], { ...sandbox.env, LANG: "C.UTF-8" })
  expect(commit.code).not.toBe(0)

  const jobs = await lsJson(sandbox, repo)
  const inv8 = jobs[0].invocation_id.slice(0, 8)
  expect(summaryOf(commit.stderr)).toEqual([
    "hookd: pre-commit summary",
    expect.stringMatching(/^ {2}ok {3}lint {7}\s*\d+(ms|s)$/),
    expect.stringMatching(new RegExp(`^ {2}FAIL typecheck\\s+\\d+(ms|s) {2}exit 3 — hookctl logs ${inv8}:typecheck$`)),
    "  skip test       skipped: dependency typecheck failed",
    "hookd: pre-commit failed — to go on anyway: git commit --no-verify (or HOOKD=0 git …)"
  ])
  // The job's own output came first, as it happened.
  expect(commit.stderr.indexOf("[typecheck] type error")).toBeLessThan(commit.stderr.indexOf("hookd: pre-commit summary"))
})

it("a passing commit gets the block without a bypass line; NO_COLOR keeps it plain", async () => {
  const repo = await repoWithHooks(
    sandbox,
    join(sandbox.dir, "passing"),
    `hooks:
  pre-commit:
    jobs:
      - { name: check, run: "true" }
      - { name: bg, run: "true", background: true }
`
  )
  const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], { ...sandbox.env, NO_COLOR: "1" })
  expect(commit.code, commit.stderr).toBe(0)
  // The background job is not the commit's business: it is left out.
  expect(summaryOf(commit.stderr)).toEqual(["hookd: pre-commit summary", expect.stringMatching(/^ {2}ok {3}check {2}\s*\d+(ms|s)$/)])
})

it("a hook with only background jobs prints no summary", async () => {
  const repo = await repoWithHooks(
    sandbox,
    join(sandbox.dir, "background"),
    "hooks:\n  pre-commit:\n    background: true\n    jobs:\n      - { name: later, run: \"true\" }\n"
  )
  const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], sandbox.env)
  expect(commit.code, commit.stderr).toBe(0)
  expect(summaryOf(commit.stderr)).toEqual([])
})
