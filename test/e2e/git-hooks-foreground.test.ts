// Foreground first (issue 12 item 1), with a real supervisor and real git: background jobs fill
// their pool (HOOKD_MAX_PARALLEL=1) and a commit's foreground check still runs at once.
import { join } from "node:path"
import { expect, it } from "vitest"
import { git, runGit } from "../support/git"
import { hookctl, lsJson } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { awaitStarted, repoWithHooks, useSupervisor } from "./helpers"

let sandbox: Sandbox

useSupervisor({ HOOKD_MAX_PARALLEL: "1" }, (started) => ({ sandbox } = started))

const CONFIG = `hooks:
  post-checkout:
    background: true
    jobs:
      - { name: install, run: "sleep 30" }
      - { name: build, run: "sleep 30" }
  pre-commit:
    jobs:
      - { name: check, run: "true" }
`

it("a git commit's foreground job never waits behind background jobs", async () => {
  const repo = await repoWithHooks(sandbox, join(sandbox.dir, "repo"), CONFIG)
  const checkout = await runGit(repo, ["checkout", "-q", "-b", "feature"], sandbox.env)
  expect(checkout.code, checkout.stderr).toBe(0)
  const [checkoutInv] = new Set((await lsJson(sandbox, repo)).map((j) => j.invocation_id))
  await awaitStarted(sandbox.socket, repo, checkoutInv, "install")

  const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "while installing"], sandbox.env)
  expect(commit.code, commit.stderr).toBe(0)
  expect(git(repo, ["log", "-1", "--format=%s"], sandbox.env).trim()).toBe("while installing")

  // The commit came back while the background pool was still full: the sleeps have not ended.
  const jobs = new Map((await lsJson(sandbox, repo)).map((j) => [j.name, j.status]))
  expect(Object.fromEntries(jobs)).toEqual({ check: "completed", install: "running", build: "queued" })

  const status = await hookctl(sandbox, repo, ["status", "--json"])
  expect(JSON.parse(status.stdout).pools).toEqual({
    foreground: { max: expect.any(Number), running: 0, queued: 0 },
    background: { max: 1, running: 1, queued: 1 }
  })
  const table = await hookctl(sandbox, repo, ["status"])
  expect(table.stdout).toMatch(/background\s+1\/1 running, 1 waiting for a slot/)
  expect(table.stdout).toMatch(/foreground\s+0\/\d+ running, 0 waiting for a slot/)
  expect((await hookctl(sandbox, repo, ["cancel", "--all"])).code).toBe(0)
})
