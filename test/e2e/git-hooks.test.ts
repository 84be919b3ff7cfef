// The whole user path with real git: `hookctl hooks install`, git fires the shims, the shims run
// `hookctl run-hook`, the supervisor runs hookd.yml's jobs; `hookctl ls/logs` show them.
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { git, makeGitRepo, runGit } from "../support/git"
import { hookctl, lsJson, newestJob, waitForGate } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { awaitStarted, useSupervisor } from "./helpers"

/** SPEC §2: the fields of every JobInfo, exactly. */
const JOB_INFO_FIELDS = [
  "repo_id", "repo_root", "invocation_id", "name", "hook", "worktree", "command", "cwd", "status", "exit_code",
  "signal", "pid", "tags", "needs", "background", "queued_at", "started_at", "finished_at", "duration_ms",
  "log_bytes", "skip_reason", "error", "input_key", "input_match",
  // issue 12: retry attempts (earlier_attempts only on a job that was retried) and failure notices
  "attempt", "max_attempts", "retry_at", "notified_at"
]

let sandbox: Sandbox
let counter = 0

useSupervisor({}, (started) => ({ sandbox } = started))

/** A fresh repo with `config` as hookd.yml (committed, so linked worktrees have it too) and the shims installed. */
const repoWithHooks = async (config: string, extraFiles: Record<string, string> = {}): Promise<string> => {
  const repo = makeGitRepo(join(sandbox.dir, `repo${counter++}`), sandbox.env)
  writeFileSync(join(repo, "hookd.yml"), config)
  for (const [name, text] of Object.entries(extraFiles)) writeFileSync(join(repo, name), text)
  git(repo, ["add", "hookd.yml"], sandbox.env)
  git(repo, ["commit", "-q", "--no-verify", "-m", "hookd config"], sandbox.env)
  const installed = await hookctl(sandbox, repo, ["hooks", "install"])
  expect(installed.code, installed.stderr).toBe(0)
  return repo
}

const gitOk = async (repo: string, args: string[], extraEnv: Record<string, string> = {}) => {
  const r = await runGit(repo, args, { ...sandbox.env, ...extraEnv })
  expect(r.code, `git ${args.join(" ")}: ${r.stderr}`).toBe(0)
  return r
}

/** Follows the job to its end through `hookctl logs -f`; returns the run. */
const logsFollow = (repo: string, job: string, args: string[] = []) => hookctl(sandbox, repo, ["logs", "-f", job, ...args])

const byName = (jobs: ReadonlyArray<JobInfo>) => new Map(jobs.map((j) => [j.name, j]))

describe("post-checkout background jobs through git", () => {
  it("git checkout returns while the job runs; ls shows it running; logs -f prints its output and exits 0", async () => {
    const gate = join(sandbox.dir, `gate${counter}`)
    const repo = await repoWithHooks(
      `hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - name: build\n        run: "${waitForGate(gate)}; echo built"\n        tags: [web]\n`
    )
    await gitOk(repo, ["checkout", "-q", "-b", "x"])
    expect(existsSync(gate)).toBe(false) // git came back although the job cannot have finished

    const build = await newestJob(sandbox, repo, "build")
    expect(build).toMatchObject({ hook: "post-checkout", worktree: repo, background: true, tags: ["web"] })
    await awaitStarted(sandbox.socket, repo, build.invocation_id, "build")
    const table = await hookctl(sandbox, repo, ["ls"])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/build.*running/)
    expect((await lsJson(sandbox, repo, ["--status", "running"])).map((j) => j.name)).toEqual(["build"])

    const following = logsFollow(repo, "build")
    writeFileSync(gate, "")
    const followed = await following
    expect(followed.code, followed.stderr).toBe(0)
    expect(followed.stdout).toBe("built\n")

    const [done] = await lsJson(sandbox, repo)
    expect(Object.keys(done).sort()).toEqual([...JOB_INFO_FIELDS].sort())
    expect(done).toMatchObject({ name: "build", status: "completed", exit_code: 0, invocation_id: build.invocation_id })
    expect(done.invocation_id).toMatch(/^[0-9a-f]{16}$/)
    expect(done.finished_at).toBeGreaterThanOrEqual(done.started_at!)
  })

  it("{1} {2} {3} are post-checkout's previous HEAD, new HEAD and branch flag", async () => {
    const repo = await repoWithHooks(
      // file_checkouts: without it a file checkout (flag 0) runs no job (issue 12 item 9).
      "hooks:\n  post-checkout:\n    background: true\n    file_checkouts: true\n    jobs:\n      - name: args\n        run: echo prev={1} new={2} flag={3} all={args}\n"
    )
    const first = git(repo, ["rev-parse", "HEAD"], sandbox.env).trim()
    git(repo, ["commit", "-q", "--allow-empty", "--no-verify", "-m", "second"], sandbox.env)
    const second = git(repo, ["rev-parse", "HEAD"], sandbox.env).trim()

    await gitOk(repo, ["checkout", "-q", first])
    let followed = await logsFollow(repo, "args")
    expect(followed.stdout).toBe(`prev=${second} new=${first} flag=1 all=${second} ${first} 1\n`)

    await gitOk(repo, ["checkout", "-q", "HEAD", "--", "hookd.yml"]) // a file checkout: flag 0
    followed = await logsFollow(repo, "args")
    expect(followed.stdout).toBe(`prev=${first} new=${first} flag=0 all=${first} ${first} 0\n`)
  })

  it("a shim fires from a linked worktree too: the job runs there and is recorded with that worktree", async () => {
    const repo = await repoWithHooks(
      "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - name: where\n        run: pwd; echo \"$HOOKD_WORKTREE\"\n"
    )
    const linked = join(sandbox.dir, `linked${counter}`)
    await gitOk(repo, ["worktree", "add", "-q", "-b", "side", linked]) // `worktree add` fires post-checkout in the new worktree
    const followed = await logsFollow(repo, "where")
    expect(followed.stdout).toBe(`${linked}\n${linked}\n`)

    await gitOk(linked, ["checkout", "-q", "-b", "side2"])
    await logsFollow(linked, "where")
    const jobs = await lsJson(sandbox, repo, ["--worktree", linked])
    expect(jobs.map((j) => [j.worktree, j.status])).toEqual([
      [linked, "completed"],
      [linked, "completed"]
    ])
    expect(await lsJson(sandbox, repo, ["--worktree", repo])).toEqual([])
  })
})

describe("pre-commit foreground jobs through git", () => {
  const LINT = [
    "hooks:",
    "  pre-commit:",
    "    jobs:",
    "      - name: lint",
    "        run: 'if [ -n \"$LINT_FAIL\" ]; then echo \"lint: 2 problems in x.ts\"; exit 3; fi; echo lint clean'",
    "        skip: [{env: SKIP_LINT}]",
    ""
  ].join("\n")
  const commits = (repo: string) => Number(git(repo, ["rev-list", "--count", "HEAD"], sandbox.env).trim())

  it("a failing job blocks the commit and git shows its output; a passing one lets it through", async () => {
    const repo = await repoWithHooks(LINT)
    const before = commits(repo)

    const blocked = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "blocked"], { ...sandbox.env, LINT_FAIL: "1" })
    expect(blocked.code).not.toBe(0)
    expect(blocked.stdout + blocked.stderr).toContain("lint: 2 problems in x.ts")
    expect(commits(repo)).toBe(before)
    expect(await newestJob(sandbox, repo, "lint")).toMatchObject({ status: "failed", exit_code: 3, background: false })

    const passed = await gitOk(repo, ["commit", "-q", "--allow-empty", "-m", "passes"])
    expect(passed.stdout + passed.stderr).toContain("lint clean")
    expect(commits(repo)).toBe(before + 1)
    expect(await newestJob(sandbox, repo, "lint")).toMatchObject({ status: "completed", exit_code: 0 })
  })

  it("skip: [{env: SKIP_LINT}] with SKIP_LINT=1 lets the commit through and records the job skipped", async () => {
    const repo = await repoWithHooks(LINT)
    const before = commits(repo)
    const r = await gitOk(repo, ["commit", "-q", "--allow-empty", "-m", "skipped"], { SKIP_LINT: "1", LINT_FAIL: "1" })
    expect(commits(repo)).toBe(before + 1)
    // The hook says why the check did not run.
    expect(r.stdout + r.stderr).toMatch(/skipped.*SKIP_LINT.*lint/)
    const lint = await newestJob(sandbox, repo, "lint")
    expect(lint).toMatchObject({ status: "skipped", started_at: null, pid: null })
    expect(lint.skip_reason).toContain("SKIP_LINT")
  })
})

describe("hookd.yml features through git", () => {
  it("needs: a job starts only after what it needs completed; a failed need skips its dependents", async () => {
    const gate = join(sandbox.dir, `gate${counter}`)
    const order = join(sandbox.dir, `order${counter}`)
    const repo = await repoWithHooks(
      [
        "hooks:",
        "  post-checkout:",
        "    background: true",
        "    jobs:",
        "      - name: test",
        "        needs: [build]",
        `        run: echo test >> '${order}'`,
        "      - name: build",
        "        needs: [install]",
        `        run: echo build >> '${order}'`,
        "      - name: install",
        `        run: "${waitForGate(gate)}; echo install >> '${order}'; test -z \\"$BREAK_INSTALL\\""`,
        ""
      ].join("\n")
    )
    await gitOk(repo, ["checkout", "-q", "-b", "one"])
    const inv = (await newestJob(sandbox, repo, "install")).invocation_id
    await awaitStarted(sandbox.socket, repo, inv, "install")
    // install is blocked on the gate: nothing that needs it may have started.
    const waiting = byName(await lsJson(sandbox, repo))
    expect([waiting.get("build")!.started_at, waiting.get("test")!.started_at]).toEqual([null, null])
    writeFileSync(gate, "")
    expect((await logsFollow(repo, "test")).code).toBe(0)
    expect(readFileSync(order, "utf8")).toBe("install\nbuild\ntest\n")

    await gitOk(repo, ["checkout", "-q", "-b", "two"], { BREAK_INSTALL: "1" })
    expect((await logsFollow(repo, "test")).code).toBe(1)
    const broken = byName((await lsJson(sandbox, repo)).filter((j) => j.invocation_id !== inv))
    expect(broken.get("install")!.status).toBe("failed")
    expect(broken.get("build")).toMatchObject({ status: "skipped", skip_reason: "dependency install failed" })
    expect(broken.get("test")).toMatchObject({ status: "skipped", skip_reason: "dependency build skipped" })
  })

  it("exclude_tags skips the tagged jobs (recorded skipped) and runs the rest", async () => {
    const repo = await repoWithHooks(
      [
        "hooks:",
        "  post-checkout:",
        "    background: true",
        "    exclude_tags: [slow]",
        "    jobs:",
        "      - {name: quick, run: echo quick, tags: [fast]}",
        "      - {name: e2e, run: echo e2e, tags: [slow, web]}",
        ""
      ].join("\n")
    )
    await gitOk(repo, ["checkout", "-q", "-b", "x"])
    expect((await logsFollow(repo, "quick")).stdout).toBe("quick\n")
    const e2e = await newestJob(sandbox, repo, "e2e")
    expect(e2e).toMatchObject({ status: "skipped", skip_reason: "excluded tag slow", started_at: null })
  })

  it("hookd-local.yml overrides a job's keys by name and adds jobs", async () => {
    const repo = await repoWithHooks(
      "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: greet, run: echo from-committed, tags: [a]}\n",
      { "hookd-local.yml": "hooks:\n  post-checkout:\n    jobs:\n      - {name: greet, run: echo from-local}\n      - {name: mine, run: echo only-mine}\n" }
    )
    await gitOk(repo, ["checkout", "-q", "-b", "x"])
    expect((await logsFollow(repo, "greet")).stdout).toBe("from-local\n")
    expect((await logsFollow(repo, "mine")).stdout).toBe("only-mine\n")
    const greet = await newestJob(sandbox, repo, "greet")
    expect(greet).toMatchObject({ tags: ["a"], background: true, command: "echo from-local" })
  })
})
