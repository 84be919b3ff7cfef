// `inputs:` end to end, with real git and a real supervisor: git fires the shims, the supervisor
// computes each job's input key and records a job `skipped` (no process started) when its last
// completed run in the worktree had the same key. Every job writes a line to a marker file, so
// "no process started" is checked by the marker, not only by the row.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { git, makeGitRepo, runGit } from "../support/git"
import { hookctl, lsJson } from "../support/hookctl"
import { TestClient, type Sandbox } from "../support/supervisor"
import { finished, getJob, job, runJobs, start, useSupervisor } from "./helpers"

let sandbox: Sandbox
let counter = 0

useSupervisor({}, (started) => ({ sandbox } = started))

interface TestRepo {
  readonly dir: string
  /** How many times a job's process ran (lines in its marker file). */
  readonly runs: () => number
  readonly marker: string
}

/**
 * A repo whose hookd.yml (committed) holds `jobs` for post-checkout (foreground: git waits for
 * them, so each step ends with its jobs terminal), plus `files`, all committed on main; `prepare`
 * runs before the shims are installed (branches made there fire no hook).
 */
const makeRepo = async (jobs: (marker: string) => string, files: Record<string, string>, prepare: (dir: string) => void = () => {}): Promise<TestRepo> => {
  const dir = makeGitRepo(join(sandbox.dir, `repo${counter++}`), sandbox.env)
  const marker = join(sandbox.dir, `marker${counter}`)
  writeFileSync(join(dir, "hookd.yml"), `hooks:\n  post-checkout:\n    jobs:\n${jobs(marker)}`)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  git(dir, ["add", "-A"], sandbox.env)
  git(dir, ["commit", "-q", "--no-verify", "-m", "config and files"], sandbox.env)
  prepare(dir)
  const installed = await hookctl(sandbox, dir, ["hooks", "install"])
  expect(installed.code, installed.stderr).toBe(0)
  const runs = () => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter((l) => l !== "").length : 0)
  return { dir, runs, marker }
}

const checkout = async (repo: TestRepo, args: string[], env: Record<string, string> = {}) => {
  const r = await runGit(repo.dir, ["checkout", "-q", ...args], { ...sandbox.env, ...env })
  expect(r.code, `git checkout ${args.join(" ")}: ${r.stderr}`).toBe(0)
  return r
}

/** What a shim does, without switching branches: `hookctl run-hook post-checkout`. */
const fireHook = async (repo: TestRepo, extraArgs: string[] = [], env: Record<string, string> = {}) => {
  const r = await hookctl(sandbox, repo.dir, ["run-hook", "post-checkout", ...extraArgs, "--", "0", "0", "1"], env)
  return r
}

const newest = async (repo: TestRepo, name: string): Promise<JobInfo> => {
  const found = (await lsJson(sandbox, repo.dir)).find((j) => j.name === name)
  if (found === undefined) throw new Error(`no ${name} job recorded`)
  return found
}

const label = (job: JobInfo) => `${job.invocation_id.slice(0, 8)}:${job.name}`

/** The row of a job skipped as unchanged since `matched`: no process, the reason names the run. */
const expectSkippedMatching = (job: JobInfo, matched: JobInfo) => {
  expect(job).toMatchObject({ status: "skipped", pid: null, started_at: null, input_match: matched.invocation_id, input_key: matched.input_key })
  expect(job.skip_reason).toMatch(new RegExp(`^inputs unchanged since ${label(matched)} \\(\\d+[smhd] ago\\)$`))
}

const INSTALL = (marker: string, extra: string[] = ["        inputs: [package-lock.json]"]) =>
  ["      - name: install", `        run: echo install >> '${marker}'`, ...extra, ""].join("\n")

describe("inputs: a post-checkout install across branches", () => {
  it("same lockfile → skipped, other lockfile → runs, back → runs only if the last completed run had another key", async () => {
    const repo = await makeRepo(INSTALL, { "package-lock.json": "{\"lock\":1}\n" }, (dir) => {
      // `same`: another commit, same lockfile. `other`: a different lockfile.
      git(dir, ["checkout", "-q", "-b", "same"], sandbox.env)
      writeFileSync(join(dir, "README"), "unrelated\n")
      git(dir, ["add", "README"], sandbox.env)
      git(dir, ["commit", "-q", "-m", "unrelated"], sandbox.env)
      git(dir, ["checkout", "-q", "-b", "other", "main"], sandbox.env)
      writeFileSync(join(dir, "package-lock.json"), "{\"lock\":2}\n")
      git(dir, ["commit", "-q", "-am", "new lockfile"], sandbox.env)
      git(dir, ["checkout", "-q", "main"], sandbox.env)
    })
    // The expected sequence (lock1 on main and same, lock2 on other):
    //   1. main → same   lock1, no earlier run              → runs        (completed, key K1)
    //   2. same → main   lock1, last completed K1           → skipped, matches 1
    //   3. main → other  lock2, last completed K1           → runs        (completed, key K2)
    //   4. other → main  lock1, last completed K2 (not K1)  → runs        (completed, key K1)
    //   5. main → same   lock1, last completed K1 (step 4)  → skipped, matches 4
    await checkout(repo, ["same"])
    const first = await newest(repo, "install")
    expect(first).toMatchObject({ status: "completed", input_match: null })
    expect(first.input_key).toMatch(/^[0-9a-f]{64}$/)
    expect(repo.runs()).toBe(1)

    const switched = await checkout(repo, ["main"])
    const second = await newest(repo, "install")
    expectSkippedMatching(second, first)
    expect(repo.runs()).toBe(1)
    // The hook says why the job did not run.
    expect(switched.stderr).toContain(`inputs unchanged since ${label(first)}`)

    await checkout(repo, ["other"])
    const third = await newest(repo, "install")
    expect(third).toMatchObject({ status: "completed", input_match: null })
    expect(third.input_key).not.toBe(first.input_key)
    expect(repo.runs()).toBe(2)

    await checkout(repo, ["main"])
    const fourth = await newest(repo, "install")
    expect(fourth).toMatchObject({ status: "completed", input_key: first.input_key, input_match: null })
    expect(repo.runs()).toBe(3)

    await checkout(repo, ["same"])
    const fifth = await newest(repo, "install")
    expectSkippedMatching(fifth, fourth)
    expect(repo.runs()).toBe(3)

    // GetJob (what a `show` would ask) says the same as ls --json.
    expect(await getJob(sandbox.socket, repo.dir, fifth.invocation_id, "install")).toMatchObject({
      input_key: first.input_key,
      input_match: fourth.invocation_id
    })
  })

  it("a linked worktree has its own history: its first run is never a hit from another worktree", async () => {
    const repo = await makeRepo(INSTALL, { "package-lock.json": "{}\n" })
    await checkout(repo, ["-b", "a"])
    expect(repo.runs()).toBe(1)
    const linked = join(sandbox.dir, `linked${counter}`)
    const added = await runGit(repo.dir, ["worktree", "add", "-q", "-b", "b", linked], sandbox.env)
    expect(added.code, added.stderr).toBe(0)
    expect(repo.runs()).toBe(2)
    const [inLinked] = await lsJson(sandbox, repo.dir, ["--worktree", linked])
    expect(inLinked).toMatchObject({ status: "completed", worktree: linked })
  })
})

describe("inputs: what changes the key", () => {
  it("a modified but uncommitted lockfile changes the key; the same modified state is then a hit", async () => {
    const repo = await makeRepo(INSTALL, { "package-lock.json": "{\"lock\":1}\n" })
    expect((await fireHook(repo)).code).toBe(0)
    expect((await fireHook(repo)).code).toBe(0)
    expect(repo.runs()).toBe(1)
    writeFileSync(join(repo.dir, "package-lock.json"), "{\"lock\":\"edited\"}\n")
    await fireHook(repo)
    expect(await newest(repo, "install")).toMatchObject({ status: "completed" })
    expect(repo.runs()).toBe(2)
    await fireHook(repo)
    expect((await newest(repo, "install")).status).toBe("skipped")
    expect(repo.runs()).toBe(2)
  })

  it("an untracked file matched by a glob counts; an ignored one and one outside the glob do not", async () => {
    const repo = await makeRepo(
      (marker) => INSTALL(marker, ['        inputs: ["proto/**/*.proto"]']),
      { "proto/a.proto": "a", ".gitignore": "proto/generated.proto\n" }
    )
    await fireHook(repo)
    expect(repo.runs()).toBe(1)
    writeFileSync(join(repo.dir, "proto", "generated.proto"), "ignored")
    writeFileSync(join(repo.dir, "proto", "notes.txt"), "not a proto")
    await fireHook(repo)
    expect((await newest(repo, "install")).status).toBe("skipped")
    mkdirSync(join(repo.dir, "proto", "sub"))
    writeFileSync(join(repo.dir, "proto", "sub", "new.proto"), "new")
    await fireHook(repo)
    expect(await newest(repo, "install")).toMatchObject({ status: "completed" })
    expect(repo.runs()).toBe(2)
  })

  it("a change to the command text or to a listed env value changes the key; an unlisted env value does not", async () => {
    const config = (marker: string, word = "install") =>
      ["      - name: install", `        run: echo ${word} >> '${marker}'`, "        inputs: {files: [package-lock.json], env: [NODE_VERSION]}", ""].join("\n")
    const repo = await makeRepo(config, { "package-lock.json": "{}\n" })
    await fireHook(repo, [], { NODE_VERSION: "20", UNLISTED: "a" })
    await fireHook(repo, [], { NODE_VERSION: "20", UNLISTED: "b" })
    expect(repo.runs()).toBe(1)
    await fireHook(repo, [], { NODE_VERSION: "22" })
    expect(repo.runs()).toBe(2)
    await fireHook(repo, [], { NODE_VERSION: "22" })
    expect(repo.runs()).toBe(2)
    // The worktree's hookd.yml is what runs: an uncommitted edit of the command is a new key.
    writeFileSync(join(repo.dir, "hookd.yml"), `hooks:\n  post-checkout:\n    jobs:\n${config(repo.marker, "reinstall")}`)
    await fireHook(repo, [], { NODE_VERSION: "22" })
    expect(await newest(repo, "install")).toMatchObject({ status: "completed", command: `echo reinstall >> '${repo.marker}'` })
    expect(repo.runs()).toBe(3)
  })
})

describe("inputs: when an unchanged job runs anyway", () => {
  it("outputs: [node_modules] missing → runs despite equal inputs", async () => {
    const repo = await makeRepo(
      (marker) =>
        ["      - name: install", `        run: mkdir -p node_modules && echo install >> '${marker}'`, "        inputs: [package-lock.json]", "        outputs: [node_modules]", ""].join("\n"),
      { "package-lock.json": "{}\n", ".gitignore": "node_modules/\n" }
    )
    await fireHook(repo)
    await fireHook(repo)
    expect(repo.runs()).toBe(1)
    rmSync(join(repo.dir, "node_modules"), { recursive: true })
    await fireHook(repo)
    expect(await newest(repo, "install")).toMatchObject({ status: "completed" })
    expect(repo.runs()).toBe(2)
    expect(existsSync(join(repo.dir, "node_modules"))).toBe(true)
    await fireHook(repo)
    expect((await newest(repo, "install")).status).toBe("skipped")
  })

  it("a failed run is never a cache hit: the same inputs run again until a run completes", async () => {
    const repo = await makeRepo(
      (marker) =>
        ["      - name: install", `        run: echo install >> '${marker}'; test -e .ok`, "        inputs: [package-lock.json]", ""].join("\n"),
      { "package-lock.json": "{}\n" }
    )
    expect((await fireHook(repo)).code).toBe(1)
    expect((await fireHook(repo)).code).toBe(1)
    expect(await newest(repo, "install")).toMatchObject({ status: "failed", input_match: null })
    expect(repo.runs()).toBe(2)
    writeFileSync(join(repo.dir, ".ok"), "") // not an input: the key stays the same
    expect((await fireHook(repo)).code).toBe(0)
    expect(repo.runs()).toBe(3)
    expect((await fireHook(repo)).code).toBe(0)
    expect((await newest(repo, "install")).status).toBe("skipped")
    expect(repo.runs()).toBe(3)
  })

  it("HOOKD_FORCE=1 in the hook's environment and `run-hook --force` run it; `hookctl retry` always runs", async () => {
    const repo = await makeRepo(INSTALL, { "package-lock.json": "{}\n" })
    await checkout(repo, ["-b", "x"])
    await checkout(repo, ["main"])
    expect(repo.runs()).toBe(1)
    await checkout(repo, ["x"], { HOOKD_FORCE: "1" })
    expect(await newest(repo, "install")).toMatchObject({ status: "completed", input_match: null })
    expect(repo.runs()).toBe(2)
    await fireHook(repo, ["--force"])
    expect(repo.runs()).toBe(3)
    await fireHook(repo)
    expect((await newest(repo, "install")).status).toBe("skipped")

    const retried = await hookctl(sandbox, repo.dir, ["retry", "install"])
    expect(retried.code, retried.stderr).toBe(0)
    const following = await hookctl(sandbox, repo.dir, ["logs", "-f", "install"])
    expect(following.code, following.stderr).toBe(0)
    expect(repo.runs()).toBe(4)
  })
})

describe("inputs: dependents", () => {
  it("the dependents of a job skipped as unchanged run, as after a completion", async () => {
    const repo = await makeRepo(
      (marker) =>
        [
          INSTALL(marker),
          "      - name: build",
          "        needs: [install]",
          `        run: echo build >> '${marker}'`,
          "      - name: lint",
          "        needs: [build]",
          `        run: echo lint >> '${marker}'`,
          ""
        ].join("\n"),
      { "package-lock.json": "{}\n" }
    )
    await fireHook(repo)
    expect(readFileSync(repo.marker, "utf8")).toBe("install\nbuild\nlint\n")
    const r = await fireHook(repo)
    expect(r.code, r.stderr).toBe(0)
    const jobs = new Map((await lsJson(sandbox, repo.dir, ["--limit", "3"])).map((j) => [j.name, j]))
    expect(jobs.get("install")!.status).toBe("skipped")
    expect(jobs.get("build")).toMatchObject({ status: "completed", input_key: null })
    expect(jobs.get("lint")!.status).toBe("completed")
    expect(readFileSync(repo.marker, "utf8")).toBe("install\nbuild\nlint\nbuild\nlint\n")
  })
})

describe("inputs on explicit RunJobs jobs", () => {
  it("a RunJobs request's own jobs are cached the same way, and GetJob shows the key and the match", async () => {
    const repo = await makeRepo(() => "      []\n", { "package-lock.json": "{}\n" })
    const install = job("install", `echo install >> '${repo.marker}'`, { inputs: { files: ["package-lock.json"], env: [] } })
    const first = await start(sandbox.socket, runJobs(repo.dir, [install]))
    const ran = await finished(sandbox.socket, repo.dir, first, "install")
    expect(ran).toMatchObject({ status: "completed", input_match: null })
    const second = await start(sandbox.socket, runJobs(repo.dir, [install]))
    const skipped = await finished(sandbox.socket, repo.dir, second, "install")
    expectSkippedMatching(skipped, ran)
    expect(repo.runs()).toBe(1)
  })

  it("inputs or outputs outside the worktree are a BAD_REQUEST naming the job and the path", async () => {
    const repo = await makeRepo(() => "      []\n", {})
    for (const extra of [{ inputs: { files: ["../elsewhere/**"], env: [] } }, { outputs: ["/tmp/x"] }]) {
      const c = await TestClient.connect(sandbox.socket)
      try {
        const answer = await c.request("RunJobs", runJobs(repo.dir, [job("install", "true", extra)]))
        expect(answer.kind).toBe("Error")
        expect(answer.payload).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/job "install": inputs and outputs must be paths relative to the worktree, got "(\.\.\/elsewhere\/\*\*|\/tmp\/x)"/) })
      } finally {
        c.close()
      }
    }
    expect(await lsJson(sandbox, repo.dir)).toEqual([])
  })
})
