// Failure notices with real git and a real supervisor: a background job that failed is reported
// once, on stderr, by the next hook run in any worktree of the repo — and never again.
import { join } from "node:path"
import { expect, it } from "vitest"
import { git, repoWithHookdConfig, runGit } from "../support/git"
import { hookctl, lsJson } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { useSupervisor } from "./helpers"

let sandbox: Sandbox

useSupervisor({}, (started) => ({ sandbox } = started))

const NOTICE = /hookd: post-commit job flaky failed \(exit 3\) (just now|\d+s ago) — hookctl logs [0-9a-f]{8}:flaky/g

it("a failed background job is noticed exactly once, by the next commit in another worktree", async () => {
  const marker = join(sandbox.dir, "failed-once")
  const config = [
    "hooks:",
    "  pre-commit:",
    "    jobs:",
    "      - {name: check, run: 'true'}",
    "  post-commit:",
    "    background: true",
    "    jobs:",
    `      - {name: flaky, run: "test -e '${marker}' || { touch '${marker}'; exit 3; }"}`,
    ""
  ].join("\n")
  const repo = await repoWithHookdConfig(join(sandbox.dir, "repo"), sandbox.env, config, (r) => hookctl(sandbox, r, ["hooks", "install"]))
  const other = join(sandbox.dir, "other")
  git(repo, ["worktree", "add", "-q", other], sandbox.env)

  const first = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "one"], sandbox.env)
  expect(first.code, first.stderr).toBe(0)
  expect(first.stderr).not.toMatch(NOTICE)
  const followed = await hookctl(sandbox, repo, ["logs", "-f", "flaky"])
  expect(followed.code).toBe(1) // it failed
  const failed = (await lsJson(sandbox, repo)).find((j) => j.name === "flaky")!
  expect(failed.status).toBe("failed")

  const second = await runGit(other, ["commit", "-q", "--allow-empty", "-m", "two"], sandbox.env)
  expect(second.code, second.stderr).toBe(0)
  const notices = second.stderr.match(NOTICE) ?? []
  expect(notices, second.stderr).toHaveLength(1)
  expect(notices[0]).toContain(`hookctl logs ${failed.invocation_id.slice(0, 8)}:flaky`)

  // The second run of flaky completes; the next commit has nothing to report.
  const jobs = await lsJson(sandbox, repo)
  const rerun = jobs.find((j) => j.name === "flaky" && j.worktree === other)!
  expect((await hookctl(sandbox, other, ["logs", "-f", `${rerun.invocation_id.slice(0, 8)}:flaky`])).code).toBe(0)
  const third = await runGit(other, ["commit", "-q", "--allow-empty", "-m", "three"], sandbox.env)
  expect(third.code, third.stderr).toBe(0)
  expect(third.stderr).not.toContain("hookd: post-commit job")
})

it("a cancelled background job is never noticed", async () => {
  const gate = join(sandbox.dir, "never")
  const config = `hooks:\n  pre-commit:\n    jobs:\n      - {name: check, run: 'true'}\n  post-commit:\n    background: true\n    jobs:\n      - {name: slow, run: "while [ ! -e '${gate}' ]; do sleep 0.02; done"}\n`
  const repo = await repoWithHookdConfig(join(sandbox.dir, "repo2"), sandbox.env, config, (r) => hookctl(sandbox, r, ["hooks", "install"]))
  expect((await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "one"], sandbox.env)).code).toBe(0)
  expect((await hookctl(sandbox, repo, ["cancel", "slow"])).code).toBe(0)
  expect((await lsJson(sandbox, repo)).find((j) => j.name === "slow")?.status).toBe("cancelled")
  const next = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "two"], sandbox.env)
  expect(next.stderr).not.toContain("hookd: post-commit job")
  await hookctl(sandbox, repo, ["cancel", "--all"])
})
