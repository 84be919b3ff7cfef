// Issue 12 item 4 with a real internal failure of hookd: the supervisor dies (SIGKILL) in the
// middle of the hook's RunJobs — a `{run: …}` condition, which the supervisor runs while it loads
// the hook's jobs, kills its parent. A post-hook still lets git succeed, with a warning that says
// what happened; a blocking hook fails the command with the reason and the way past it once.
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { git, runGit } from "../support/git"
import { makeSandbox, startSupervisor } from "../support/supervisor"
import { repoWithHooks } from "./helpers"

/** The condition's shell is the supervisor's child: `kill -9 $PPID` kills hookd mid-request. */
const KILL_HOOKD = `[{ run: "kill -9 $PPID" }]`

const withDyingSupervisor = async (config: string, body: (repo: string, env: Record<string, string>) => Promise<void>) => {
  // No autostart: the test is about the supervisor that died, not a new one.
  const sandbox = makeSandbox({ HOOKD_NO_AUTOSTART: "1" })
  try {
    const hookd = await startSupervisor(sandbox)
    const repo = await repoWithHooks(sandbox, join(sandbox.dir, "repo"), config, { "file.txt": "one\n" })
    await body(repo, sandbox.env)
    // It really died (by the signal), and did not just answer an error.
    expect(await hookd.exited).toBe("SIGKILL")
  } finally {
    sandbox.cleanup()
  }
}

describe("hookd dies in the middle of a hook's request", () => {
  it("post-commit: git commit exits 0, the commit is made, and the hook warns that it ran no jobs", async () => {
    const config = `hooks:\n  post-commit:\n    jobs:\n      - { name: report, run: "echo reported", only: ${KILL_HOOKD} }\n`
    await withDyingSupervisor(config, async (repo, env) => {
      const r = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "after the crash"], env)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/^hookd: .+$/m)
      expect(r.stderr).toContain("hookd: the post-commit hook ran no jobs; git goes on")
      expect(r.stderr).not.toContain("reported")
      expect(git(repo, ["log", "-1", "--format=%s"], env).trim()).toBe("after the crash")
    })
  })

  it("post-checkout (background only): git checkout exits 0 and switches the branch", async () => {
    // A background-only hook's shim hands the request over (the spool) without waiting for hookd,
    // so git never hears of the crash that follows; withDyingSupervisor checks hookd did die.
    const config = `hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - { name: install, run: "true", only: ${KILL_HOOKD} }\n`
    await withDyingSupervisor(config, async (repo, env) => {
      const r = await runGit(repo, ["checkout", "-q", "-b", "feature"], env)
      expect(r.code, r.stderr).toBe(0)
      expect(git(repo, ["rev-parse", "--abbrev-ref", "HEAD"], env).trim()).toBe("feature")
    })
  })

  it("pre-commit (blocking): git commit fails, names the failure and the bypass, and makes no commit", async () => {
    const config = `hooks:\n  pre-commit:\n    jobs:\n      - { name: lint, run: "true", only: ${KILL_HOOKD} }\n`
    await withDyingSupervisor(config, async (repo, env) => {
      const before = git(repo, ["rev-parse", "HEAD"], env).trim()
      const r = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "blocked"], env)
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain("hookd closed the connection")
      expect(r.stderr).toContain("The pre-commit hook could not run its jobs: a failure of hookd, not of your jobs")
      expect(r.stderr).toContain("to skip this hook once: git commit --no-verify")
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m) // never a stack trace
      expect(git(repo, ["rev-parse", "HEAD"], env).trim()).toBe(before)
    })
  })
})
