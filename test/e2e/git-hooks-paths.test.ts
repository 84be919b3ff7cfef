// Paths as users type them: `--worktree .` from a subdirectory or through a symlink means the
// worktree that contains it, as it does for the repository itself; `--repo` names the worktree too.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { git, makeGitRepo, runGit } from "../support/git"
import { hookctl, lsJson, newestJob } from "../support/hookctl"
import { makeSandbox, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { awaitStarted } from "./helpers"

const CONFIG = [
  "hooks:",
  "  post-checkout:",
  "    background: true",
  "    jobs:",
  "      - {name: build, run: 'echo built'}",
  "  post-merge:",
  "    background: true",
  "    jobs:",
  "      - {name: wait, run: 'sleep 600'}",
  "  post-commit:",
  "    background: true",
  "    jobs:",
  "      - {name: note, run: 'echo noted'}",
  ""
].join("\n")

describe("worktree paths given to hookctl", () => {
  let sandbox: Sandbox
  let hookd: RunningSupervisor
  let repo: string
  let sub: string
  let link: string

  beforeAll(async () => {
    sandbox = makeSandbox()
    hookd = await startSupervisor(sandbox)
    repo = makeGitRepo(join(sandbox.dir, "repo"), sandbox.env)
    writeFileSync(join(repo, "hookd.yml"), CONFIG)
    git(repo, ["add", "hookd.yml"], sandbox.env)
    git(repo, ["commit", "-q", "--no-verify", "-m", "hookd config"], sandbox.env)
    expect((await hookctl(sandbox, repo, ["hooks", "install"])).code).toBe(0)
    const checkout = await runGit(repo, ["checkout", "-q", "-b", "x"], sandbox.env)
    expect(checkout.code, checkout.stderr).toBe(0)
    expect((await hookctl(sandbox, repo, ["logs", "-f", "build"])).code).toBe(0)
    sub = join(repo, "src", "deep")
    mkdirSync(sub, { recursive: true })
    link = join(sandbox.dir, "link-to-repo")
    symlinkSync(repo, link)
  })
  afterAll(async () => {
    await hookd?.stopCleanly()
    sandbox?.cleanup()
  })

  it("ls --worktree . from a subdirectory lists that worktree's jobs", async () => {
    const jobs = await lsJson(sandbox, sub, ["--worktree", "."])
    expect(jobs.map((j) => j.name)).toEqual(["build"])
  })

  it("ls --worktree through a symlink lists the worktree it points at", async () => {
    const jobs = await lsJson(sandbox, sandbox.dir, ["--repo", repo, "--worktree", link])
    expect(jobs.map((j) => j.name)).toEqual(["build"])
  })

  it("cancel --worktree . from a subdirectory cancels that worktree's running job", async () => {
    const started = await hookctl(sandbox, repo, ["run-hook", "post-merge", "--", "0"])
    expect(started.code, started.stderr).toBe(0)
    const waiting = await newestJob(sandbox, repo, "wait")
    await awaitStarted(sandbox.socket, repo, waiting.invocation_id, "wait")
    const r = await hookctl(sandbox, sub, ["cancel", "--worktree", "."])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("wait")
  })

  it("run-hook --repo <a subdirectory>, run from outside the repo, runs that repo's hook jobs", async () => {
    const r = await hookctl(sandbox, sandbox.dir, ["--repo", sub, "run-hook", "post-commit"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const note = await hookctl(sandbox, repo, ["logs", "-f", "note"])
    expect(note.stderr).toContain("finished exit_code=0")
    expect(note.stdout).toBe("noted\n")
    expect(note.code).toBe(0)
  })
})
