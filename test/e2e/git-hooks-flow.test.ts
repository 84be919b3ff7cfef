// Issue 12 through real git and a real supervisor: jobs a developer did not mean to run are
// recorded skipped with the reason (file checkouts, HOOKD_SKIP); runs of one job in one worktree
// that would race each other (concurrency).
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { git, runGit } from "../support/git"
import type { JobInfo } from "../../src/protocol/types"
import { hookctl, lsJson, waitForGate } from "../support/hookctl"
import { liveMembersOfGroup } from "../support/processes"
import type { Sandbox } from "../support/supervisor"
import { awaitStarted, finished, getJob, repoWithHooks as repoWithHooksIn, useSupervisor } from "./helpers"

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

/** Three quick branch switches; returns the three runs of `job`, oldest first. */
const threeCheckouts = async (repo: string, job: string): Promise<JobInfo[]> => {
  for (const branch of ["b1", "b2", "b3"]) await gitOk(repo, ["checkout", "-q", "-b", branch])
  const runs = (await lsJson(sandbox, repo)).filter((j) => j.name === job).reverse()
  expect(runs).toHaveLength(3)
  return runs
}

const concurrencyConfig = (run: string, concurrency = "") =>
  `hooks:\n  post-checkout:\n    background: true${concurrency}\n    jobs:\n      - { name: install, run: "${run}" }\n`

describe("concurrency of one job in one worktree", () => {
  it("replace (the default): three quick checkouts leave one run; the older two end cancelled (superseded) with no process left", async () => {
    const repo = await repoWithHooks(concurrencyConfig("sleep 10"))
    const runs = await threeCheckouts(repo, "install")
    const ended = [await finished(sandbox.socket, repo, runs[0].invocation_id, "install"), await finished(sandbox.socket, repo, runs[1].invocation_id, "install")]
    expect(ended.map((j) => [j.status, j.error])).toEqual([
      ["cancelled", `superseded by ${runs[1].invocation_id}`],
      ["cancelled", `superseded by ${runs[2].invocation_id}`]
    ])
    await awaitStarted(sandbox.socket, repo, runs[2].invocation_id, "install")
    const newest = await getJob(sandbox.socket, repo, runs[2].invocation_id, "install")
    expect(newest.status).toBe("running")
    // Never two at once: each run that started did so after the one before it had ended.
    const all = [...ended, newest]
    for (let i = 1; i < all.length; i++) {
      if (all[i].started_at !== null) expect(all[i].started_at).toBeGreaterThanOrEqual(all[i - 1].finished_at!)
    }
    for (const old of ended) if (old.pid !== null) expect(liveMembersOfGroup(old.pid)).toEqual([])
    const table = await hookctl(sandbox, repo, ["ls"])
    expect(table.stdout.match(/cancelled \(superseded\)/g)).toHaveLength(2)
    expect((await hookctl(sandbox, repo, ["cancel", "--all"])).code).toBe(0)
  })

  it("queue: the later runs wait queued and run one after another", async () => {
    const gate = join(sandbox.dir, `gate${counter}`)
    const repo = await repoWithHooks(concurrencyConfig(`${waitForGate(gate)}; echo done`, "\n    concurrency: queue"))
    const runs = await threeCheckouts(repo, "install")
    await awaitStarted(sandbox.socket, repo, runs[0].invocation_id, "install")
    const now = await Promise.all(runs.map((r) => getJob(sandbox.socket, repo, r.invocation_id, "install")))
    expect(now.map((j) => j.status)).toEqual(["running", "queued", "queued"])
    writeFileSync(gate, "")
    const ended = []
    for (const r of runs) ended.push(await finished(sandbox.socket, repo, r.invocation_id, "install"))
    expect(ended.map((j) => j.status)).toEqual(["completed", "completed", "completed"])
    for (let i = 1; i < ended.length; i++) expect(ended[i].started_at).toBeGreaterThanOrEqual(ended[i - 1].finished_at!)
  })

  it("skip: the later runs are recorded skipped, naming the invocation that runs the job", async () => {
    const gate = join(sandbox.dir, `gate${counter}`)
    const repo = await repoWithHooks(concurrencyConfig(waitForGate(gate), "\n    concurrency: skip"))
    const runs = await threeCheckouts(repo, "install")
    expect(runs.map((j) => [j.status, j.skip_reason]).slice(1)).toEqual([
      ["skipped", `already running in ${runs[0].invocation_id}`],
      ["skipped", `already running in ${runs[0].invocation_id}`]
    ])
    writeFileSync(gate, "")
    expect((await finished(sandbox.socket, repo, runs[0].invocation_id, "install")).status).toBe("completed")
  })
})
