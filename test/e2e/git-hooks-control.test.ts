// Jobs started by real git hooks, watched and stopped with the real hookctl: ls filters, logs
// --since-seq, cancel by name/--tag/--hook/--all, unknown jobs (exit 4), and auto-start.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { JobInfo, LogRecord } from "../../src/protocol/types"
import { git, makeGitRepo, runGit } from "../support/git"
import { hookctl, lsJson, newestJob } from "../support/hookctl"
import { awaitProcessGone, liveMembersOfGroup } from "../support/processes"
import { makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { awaitStarted } from "./helpers"

const CONFIG = [
  "hooks:",
  "  post-checkout:",
  "    background: true",
  "    jobs:",
  "      - {name: web, run: 'echo web up; sleep 600', tags: [frontend]}",
  "      - {name: api, run: 'sleep 600', tags: [backend]}",
  "      - {name: docs, run: 'sleep 600', tags: [frontend]}",
  "      - {name: count, run: 'echo one; echo two; echo three', tags: [backend]}",
  "  post-merge:",
  "    background: true",
  "    jobs:",
  "      - {name: deps, run: 'sleep 600', tags: [frontend]}",
  ""
].join("\n")

let counter = 0

/** A repo with `config` committed and the shims installed. */
const repoWithHooks = async (sandbox: Sandbox, config: string): Promise<string> => {
  const repo = makeGitRepo(join(sandbox.dir, `repo${counter++}`), sandbox.env)
  writeFileSync(join(repo, "hookd.yml"), config)
  git(repo, ["add", "hookd.yml"], sandbox.env)
  git(repo, ["commit", "-q", "--no-verify", "-m", "hookd config"], sandbox.env)
  const installed = await hookctl(sandbox, repo, ["hooks", "install"])
  expect(installed.code, installed.stderr).toBe(0)
  return repo
}

const gitOk = async (sandbox: Sandbox, repo: string, args: string[]) => {
  const r = await runGit(repo, args, sandbox.env)
  expect(r.code, `git ${args.join(" ")}: ${r.stderr}`).toBe(0)
}

/** A fast-forward merge of a new commit made without a checkout: fires post-merge only. */
const fastForwardMerge = async (sandbox: Sandbox, repo: string) => {
  const tree = git(repo, ["rev-parse", "HEAD^{tree}"], sandbox.env).trim()
  const commit = git(repo, ["commit-tree", tree, "-p", "HEAD", "-m", "ahead"], sandbox.env).trim()
  await gitOk(sandbox, repo, ["merge", "-q", "--ff-only", commit])
}

const names = (jobs: ReadonlyArray<JobInfo>) => jobs.map((j) => j.name).sort()

describe("jobs started by git hooks, controlled with hookctl", () => {
  let sandbox: Sandbox
  let hookd: RunningSupervisor
  let repo: string
  let other: string
  let checkoutInv: string

  beforeAll(async () => {
    // Six sleeping jobs at once: more than the default limit of one per CPU, and none may queue.
    sandbox = makeSandbox({ HOOKD_MAX_PARALLEL: "16" })
    hookd = await startSupervisor(sandbox)
    repo = await repoWithHooks(sandbox, CONFIG)
    other = await repoWithHooks(sandbox, "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: web, run: 'sleep 600', tags: [frontend]}\n")

    await gitOk(sandbox, repo, ["checkout", "-q", "-b", "feature"])
    await fastForwardMerge(sandbox, repo)
    await gitOk(sandbox, other, ["checkout", "-q", "-b", "feature"])
    checkoutInv = (await newestJob(sandbox, repo, "web")).invocation_id
    const mergeInv = (await newestJob(sandbox, repo, "deps")).invocation_id
    for (const name of ["web", "api", "docs"]) await awaitStarted(sandbox.socket, repo, checkoutInv, name)
    await awaitStarted(sandbox.socket, repo, mergeInv, "deps")
    await awaitStarted(sandbox.socket, other, (await newestJob(sandbox, other, "web")).invocation_id, "web")
    expect((await hookctl(sandbox, repo, ["logs", "-f", "count"])).code).toBe(0)
  })
  afterAll(async () => {
    await hookd?.stop()
    sandbox?.cleanup()
  })

  const ls = (...args: string[]) => lsJson(sandbox, repo, args)

  it("ls filters: --status, --hook, --tag, --worktree, and together", async () => {
    expect(names(await ls())).toEqual(["api", "count", "deps", "docs", "web"])
    expect(names(await ls("--status", "running"))).toEqual(["api", "deps", "docs", "web"])
    expect(names(await ls("--status", "completed"))).toEqual(["count"])
    expect(names(await ls("--status", "failed,completed"))).toEqual(["count"])
    expect(names(await ls("--hook", "post-merge"))).toEqual(["deps"])
    expect(names(await ls("--tag", "frontend"))).toEqual(["deps", "docs", "web"])
    expect(names(await ls("--tag", "backend", "--status", "running"))).toEqual(["api"])
    expect(names(await ls("--tag", "frontend", "--hook", "post-checkout"))).toEqual(["docs", "web"])
    expect(names(await ls("--worktree", repo))).toEqual(["api", "count", "deps", "docs", "web"])
    expect(await ls("--worktree", join(sandbox.dir, "elsewhere"))).toEqual([])
    const everywhere = await lsJson(sandbox, repo, ["--all-repos", "--status", "running"])
    expect(everywhere.map((j) => `${j.worktree === other ? "other" : "repo"}:${j.name}`).sort()).toEqual([
      "other:web", "repo:api", "repo:deps", "repo:docs", "repo:web"
    ])
  })

  it("logs --since-seq replays from that record on", async () => {
    // A record holds what the job wrote at once (log format 2): how the three lines fall into records
    // depends on the pipe, so the expectations are built from the records themselves.
    const all = (await hookctl(sandbox, repo, ["logs", "count", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as LogRecord)
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i))
    expect(all.flatMap((r) => (r.kind === "stdout" ? r.data.split("\n") : []))).toEqual(["one", "two", "three"])
    const since = all.findIndex((r) => r.kind === "stdout" && r.data.split("\n").includes("three"))
    const plain = await hookctl(sandbox, repo, ["logs", "count", "--since-seq", String(since)])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toBe(all.slice(since).flatMap((r) => (r.kind === "stdout" ? [r.data + "\n"] : [])).join(""))
    expect(plain.stdout).toMatch(/three\n$/)
    const json = await hookctl(sandbox, repo, ["logs", "count", "--json", "--since-seq", String(since)])
    expect(json.stdout.trim().split("\n").map((l) => JSON.parse(l) as LogRecord)).toEqual(all.slice(since))
    expect((await hookctl(sandbox, repo, ["logs", "count", "--stdout"])).stdout).toBe("one\ntwo\nthree\n")
  })

  it("an unknown job or a filter matching nothing → exit 4 with a message", async () => {
    for (const args of [["logs", "nosuch"], ["logs", "-f", "nosuch"], ["cancel", "nosuch"], ["retry", "nosuch"]]) {
      const r = await hookctl(sandbox, repo, args)
      expect(r.code, args.join(" ")).toBe(4)
      expect(r.stderr).toMatch(/^hookctl: .*nosuch/)
    }
    const noMatch = await hookctl(sandbox, repo, ["cancel", "--tag", "no-job-has-this"])
    expect(noMatch.code).toBe(4)
    expect(noMatch.stderr).toMatch(/^hookctl: .*match/)
    expect(names(await ls("--status", "running"))).toEqual(["api", "deps", "docs", "web"])
  })

  it("cancel by name, then --tag, then --hook, then --all: each stops exactly its jobs, process groups included", async () => {
    const pidsBefore = new Map((await ls("--status", "running")).map((j) => [j.name, j.pid!]))
    const cancel = async (args: string[], expected: string[]) => {
      const r = await hookctl(sandbox, repo, ["cancel", ...args])
      expect(r.code, r.stderr).toBe(0)
      const listed = /^cancelled \d+ jobs?: (.*)$/.exec(r.stdout.trim())?.[1].split(", ") ?? []
      expect(listed.map((label) => label.split(":")[1]).sort(), r.stdout).toEqual(expected)
      for (const name of expected) {
        expect((await hookctl(sandbox, repo, ["logs", "-f", name])).code).toBe(1) // ended, and not completed
        expect(liveMembersOfGroup(pidsBefore.get(name)!)).toEqual([])
      }
    }

    await cancel(["web"], ["web"])
    expect(names(await ls("--status", "running"))).toEqual(["api", "deps", "docs"])
    await cancel(["--tag", "frontend", "--hook", "post-checkout"], ["docs"]) // deps is tagged too, but not post-checkout
    await cancel(["--hook", "post-merge"], ["deps"])
    expect(names(await ls("--status", "running"))).toEqual(["api"])
    await cancel(["--all"], ["api"])

    expect(await ls("--status", "running")).toEqual([])
    expect(names(await ls("--status", "cancelled"))).toEqual(["api", "deps", "docs", "web"])
    expect((await ls()).filter((j) => j.invocation_id === checkoutInv && j.name === "web")[0].status).toBe("cancelled")
    // --all means this repository: the other repo's job still runs.
    expect((await lsJson(sandbox, other, ["--status", "running"])).map((j) => j.name)).toEqual(["web"])
    const nothing = await hookctl(sandbox, repo, ["cancel", "--all"])
    expect([nothing.code, nothing.stdout]).toEqual([0, "nothing to cancel\n"])
  })
})

describe("auto-start", () => {
  let sandbox: Sandbox
  let autostarted: number | undefined

  beforeAll(() => {
    sandbox = makeSandbox()
  })
  afterEach(async () => {
    // Whatever happened, leave no supervisor behind: shut down through hookctl, kill as a last resort.
    if (autostarted === undefined) return
    await hookctl(sandbox, sandbox.dir, ["shutdown"])
    await awaitProcessGone(autostarted).catch(() => process.kill(autostarted!, "SIGKILL"))
  })
  afterAll(() => sandbox?.cleanup())

  const statusPid = async (repo: string, env: Record<string, string> = {}) => {
    const r = await hookctl(sandbox, repo, ["status", "--json"], env)
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as { pid: number }).pid
  }

  it("with the supervisor stopped, HOOKD_NO_AUTOSTART=1 exits 3; plain `hookctl ls` starts the sandbox's own hookd", async () => {
    const repo = await repoWithHooks(sandbox, "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: hi, run: echo hi}\n")
    const first = await startSupervisor(sandbox)
    await gitOk(sandbox, repo, ["checkout", "-q", "-b", "x"])
    expect((await hookctl(sandbox, repo, ["logs", "-f", "hi"])).code).toBe(0)
    expect(await first.stop()).toBe(0)

    const refused = await hookctl(sandbox, repo, ["ls"], { HOOKD_NO_AUTOSTART: "1" })
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain("HOOKD_NO_AUTOSTART=1")
    expect(refused.stderr).toContain("To fix:")

    const listed = await hookctl(sandbox, repo, ["ls", "--json"])
    expect(listed.code, listed.stderr).toBe(0)
    // The jobs recorded before the stop: this is the sandbox's state dir, served by a new supervisor.
    expect((JSON.parse(listed.stdout) as JobInfo[]).map((j) => [j.name, j.status])).toEqual([["hi", "completed"]])
    autostarted = await statusPid(repo)
    expect(autostarted).not.toBe(first.pid)
    expect(liveMembersOfGroup(autostarted)).toEqual([autostarted]) // detached: it leads its own group

    // Once it is shut down, the socket is gone and autostart is needed again.
    const watcher = await TestClient.connect(sandbox.socket)
    const shutdown = await hookctl(sandbox, repo, ["shutdown"])
    expect(shutdown.code, shutdown.stderr).toBe(0)
    await watcher.closed
    await awaitProcessGone(autostarted)
    autostarted = undefined
    expect((await hookctl(sandbox, repo, ["ls"], { HOOKD_NO_AUTOSTART: "1" })).code).toBe(3)
  })

  it("a supervisor that died without cleaning up (stale socket file) is replaced on the next ls", async () => {
    const repo = await repoWithHooks(sandbox, "hooks:\n  post-checkout:\n    jobs: [{name: a, run: 'true'}]\n")
    const killed = await statusPid(repo) // auto-starts one
    autostarted = killed
    process.kill(killed, "SIGKILL")
    await awaitProcessGone(killed)

    const listed = await hookctl(sandbox, repo, ["ls"])
    expect(listed.code, listed.stderr).toBe(0)
    autostarted = await statusPid(repo)
    expect(autostarted).not.toBe(killed)
  })
})
