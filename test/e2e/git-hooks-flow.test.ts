// Issue 12 through real git and a real supervisor: jobs a developer did not mean to run are
// recorded skipped with the reason (file checkouts, HOOKD_SKIP).
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { git, runGit } from "../support/git"
import { lsJson } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { finished, repoWithHooks as repoWithHooksIn, useSupervisor } from "./helpers"

let sandbox: Sandbox
let counter = 0

useSupervisor({}, (started) => ({ sandbox } = started))

const repoWithHooks = (config: string) =>
  repoWithHooksIn(sandbox, join(sandbox.dir, `repo${counter++}`), config, { "file.txt": "committed\n" })

const gitOk = async (repo: string, args: string[], extraEnv: Record<string, string> = {}) => {
  const r = await runGit(repo, args, { ...sandbox.env, ...extraEnv })
  expect(r.code, `git ${args.join(" ")}: ${r.stderr}`).toBe(0)
  return r
}

const checkoutConfig = (extra = "") => `hooks:\n  post-checkout:\n    background: true${extra}\n    jobs:\n      - { name: install, run: "echo installed" }\n`

describe("post-checkout means a branch switch", () => {
  it("git checkout -- file records the invocation with its jobs skipped (file checkout)", async () => {
    const repo = await repoWithHooks(checkoutConfig())
    writeFileSync(join(repo, "file.txt"), "changed\n")
    await gitOk(repo, ["checkout", "--", "file.txt"])
    const jobs = await lsJson(sandbox, repo)
    expect(jobs.map((j) => [j.name, j.hook, j.status, j.skip_reason])).toEqual([["install", "post-checkout", "skipped", "file checkout"]])

    await gitOk(repo, ["checkout", "-q", "-b", "feature"])
    const [branch] = await lsJson(sandbox, repo)
    expect(branch.invocation_id).not.toBe(jobs[0].invocation_id)
    expect((await finished(sandbox.socket, repo, branch.invocation_id, "install")).status).toBe("completed")
  })

  it("file_checkouts: true runs the jobs for a file checkout too", async () => {
    const repo = await repoWithHooks(checkoutConfig("\n    file_checkouts: true"))
    writeFileSync(join(repo, "file.txt"), "changed\n")
    await gitOk(repo, ["checkout", "--", "file.txt"])
    const [install] = await lsJson(sandbox, repo)
    expect(install.hook).toBe("post-checkout")
    const ended = await finished(sandbox.socket, repo, install.invocation_id, "install")
    expect([ended.status, ended.skip_reason]).toEqual(["completed", null])
  })
})

describe("HOOKD_SKIP", () => {
  it("HOOKD_SKIP=lint git commit records lint skipped and runs the other checks", async () => {
    const marker = join(sandbox.dir, `linted${counter}`)
    const repo = await repoWithHooks(
      `hooks:\n  pre-commit:\n    jobs:\n      - { name: lint, run: "touch '${marker}'" }\n      - { name: types, run: "echo typed" }\n`
    )
    const committed = await gitOk(repo, ["commit", "-q", "--allow-empty", "-m", "skip lint"], { HOOKD_SKIP: "lint" })
    expect(committed.stdout + committed.stderr).toContain("typed")
    const jobs = new Map((await lsJson(sandbox, repo)).map((j) => [j.name, j]))
    expect([jobs.get("lint")?.status, jobs.get("lint")?.skip_reason]).toEqual(["skipped", "HOOKD_SKIP"])
    expect(jobs.get("types")?.status).toBe("completed")
    expect(git(repo, ["log", "-1", "--format=%s"], sandbox.env).trim()).toBe("skip lint")
    expect(existsSync(marker)).toBe(false)
  })
})
