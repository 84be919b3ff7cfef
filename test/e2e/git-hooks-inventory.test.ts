// Issue 12 item 5 leftovers, with real git: a shim run reminds once per config change of the hooks
// hookd.yml names without a shim, and `hookctl hooks status` lists configured/installed/missing/foreign.
import { chmodSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runGit } from "../support/git"
import { hookctl } from "../support/hookctl"
import { repoWithHooks, useSupervisor, type Supervised } from "./helpers"

let env: Supervised
useSupervisor({}, (started) => (env = started))
let counter = 0

const PRE_COMMIT = "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'true'}\n"
const WITH_COMMIT_MSG = PRE_COMMIT + "  commit-msg:\n    jobs:\n      - {name: msg, run: 'true'}\n"
const REMINDER = "hookd: hookd.yml names commit-msg but no shim is installed — run hookctl hooks install"

describe("the missing-shim reminder", () => {
  it("is printed once per config change by a shim run, and not after hooks install", async () => {
    const repo = await repoWithHooks(env.sandbox, join(env.sandbox.dir, `repo${counter++}`), PRE_COMMIT)
    const commit = () => runGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], env.sandbox.env)
    const quiet = await commit()
    expect(quiet.code, quiet.stderr).toBe(0)
    expect(quiet.stderr).not.toContain("no shim")

    writeFileSync(join(repo, "hookd.yml"), WITH_COMMIT_MSG)
    const first = await commit()
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr.split("\n").filter((l) => l === REMINDER)).toHaveLength(1)
    const second = await commit()
    expect(second.stderr).not.toContain(REMINDER)

    // Another change of the config reminds again; installing the shim ends it.
    writeFileSync(join(repo, "hookd.yml"), WITH_COMMIT_MSG + "# changed\n")
    expect((await commit()).stderr).toContain(REMINDER)
    expect((await hookctl(env.sandbox, repo, ["hooks", "install"])).code).toBe(0)
    writeFileSync(join(repo, "hookd.yml"), WITH_COMMIT_MSG + "# changed again\n")
    expect((await commit()).stderr).not.toContain("no shim")
  })

  it("comes before the hook's own output (it is read while hookd starts the jobs)", async () => {
    const loud = "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'echo lint-says-hi >&2'}\n"
    const repo = await repoWithHooks(env.sandbox, join(env.sandbox.dir, `repo${counter++}`), loud)
    writeFileSync(join(repo, "hookd.yml"), loud + "  commit-msg:\n    jobs:\n      - {name: msg, run: 'true'}\n")
    const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], env.sandbox.env)
    expect(commit.code, commit.stderr).toBe(0)
    const lines = commit.stderr.split("\n")
    const reminder = lines.indexOf(REMINDER)
    expect(reminder, commit.stderr).toBeGreaterThanOrEqual(0)
    expect(lines.findIndex((l) => l.includes("lint-says-hi")), commit.stderr).toBeGreaterThan(reminder)
  })
})

describe("hookctl hooks status", () => {
  it("lists configured, installed, missing and foreign hooks (table and JSON); exit 1 while one is missing", async () => {
    const repo = await repoWithHooks(
      env.sandbox,
      join(env.sandbox.dir, `repo${counter++}`),
      PRE_COMMIT + "  post-checkout:\n    background: true\n    jobs:\n      - {name: install, run: 'true'}\n"
    )
    const foreign = join(repo, ".git", "hooks", "pre-push")
    writeFileSync(foreign, "#!/bin/sh\nexit 0\n")
    chmodSync(foreign, 0o755)

    const ok = await hookctl(env.sandbox, repo, ["hooks", "status", "--format", "json"])
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({
      configured: ["post-checkout", "pre-commit"],
      installed: ["post-checkout", "pre-commit"],
      missing: [],
      foreign: ["pre-push"],
      spool: ["post-checkout"],
      wait: ["pre-commit"]
    })

    writeFileSync(join(repo, "hookd.yml"), WITH_COMMIT_MSG)
    const json = await hookctl(env.sandbox, repo, ["hooks", "status", "--format", "json"])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ configured: ["commit-msg", "pre-commit"], missing: ["commit-msg"], unused: ["post-checkout"] })
    const table = await hookctl(env.sandbox, repo, ["hooks", "status"])
    expect(table.code).toBe(1)
    expect(table.stdout).toMatch(/^missing +commit-msg$/m)
    expect(table.stdout).toMatch(/^foreign +pre-push$/m)
    expect(table.stdout).toContain("run hookctl hooks install")
  })

  it("refuses a bad action or format with a usage error", async () => {
    expect((await hookctl(env.sandbox, env.sandbox.dir, ["hooks", "stats"])).stderr).toContain('did you mean "status"')
    expect((await hookctl(env.sandbox, env.sandbox.dir, ["hooks", "status", "--format", "xml"])).code).toBe(2)
  })
})
