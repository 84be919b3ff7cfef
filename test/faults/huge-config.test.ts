// Issue 14 item 8: a huge hookd.yml must neither stall the supervisor nor take long to refuse.
// Real supervisor, real git repository, configs generated into it; RunJobs reads them (no `jobs`).
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { MAX_CONFIG_BYTES, MAX_CONFIG_JOBS } from "../../src/config/files"
import type { ResponseEnvelope } from "../../src/protocol/types"
import { TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { payloadOf, runJobs, useSupervisedRepo } from "../e2e/helpers"

/** `count` jobs in block style (about 44 bytes each, like the reported 2.2 MB file of 50,000 jobs). */
const blockJobs = (count: number, from = 0): string[] =>
  Array.from({ length: count }, (_, i) => `      - name: job${from + i}\n        run: "true"`)

const config = (jobLines: ReadonlyArray<string>, hook = "pre-commit") => `hooks:\n  ${hook}:\n    jobs:\n${jobLines.join("\n")}\n`

/** RunJobs without `jobs`: the supervisor loads the worktree's config. */
const fromConfig = (repo: string) => {
  const { jobs: _none, ...request } = runJobs(repo, [], { hook: "pre-commit" })
  return request
}

const configError = async (socket: string, repo: string) => {
  const c = await TestClient.connect(socket)
  try {
    const answer = await c.request("RunJobs", fromConfig(repo), 60_000)
    return payloadOf(answer, "Error")
  } finally {
    c.close()
  }
}

/**
 * RunJobs loading the repo's config on one connection, and Status on another — sent once `before`
 * resolves (at once by default); the answers, and the order they came in.
 */
const loadWhileAsking = async (socket: string, repo: string, before: () => Promise<void> = async () => undefined) => {
  const loader = await TestClient.connect(socket)
  const asker = await TestClient.connect(socket)
  try {
    const order: string[] = []
    const answered = (label: string) => (answer: ResponseEnvelope) => {
      order.push(label)
      return answer
    }
    const run = loader.request("RunJobs", fromConfig(repo), 60_000).then(answered("RunJobs"))
    await before()
    const status = asker.request("Status", {}, 60_000).then(answered("Status"))
    const [runAnswer, statusAnswer] = await Promise.all([run, status])
    return { runAnswer, statusAnswer, order }
  } finally {
    loader.close()
    asker.close()
  }
}

describe("huge configs (issue 14 item 8)", () => {
  let sandbox: Sandbox
  let repo: string
  let hookd: RunningSupervisor
  useSupervisedRepo({}, (s) => ((sandbox = s.sandbox), (repo = s.repo), (hookd = s.hookd)))

  it("a generated 50,000-job hookd.yml (2 MB) is refused with the size cap, naming the file", async () => {
    const text = config(blockJobs(50_000))
    expect(text.length).toBeGreaterThan(2 * 1024 * 1024)
    writeFileSync(join(repo, "hookd.yml"), text)
    const error = await configError(sandbox.socket, repo)
    expect(error.code).toBe("CONFIG_INVALID")
    expect(error.message).toContain("hookd reads config files of at most 1.0 MiB")
    expect(JSON.stringify(error)).toContain(join(repo, "hookd.yml"))
  })

  it("more jobs than the cap in a file under the size cap are refused, pointing at the first job too many", async () => {
    const compact = Array.from({ length: MAX_CONFIG_JOBS + 2000 }, (_, i) => `      - {name: j${i}, run: x}`)
    const text = config(compact)
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES)
    writeFileSync(join(repo, "hookd.yml"), text)
    const error = await configError(sandbox.socket, repo)
    expect(error.code).toBe("CONFIG_INVALID")
    expect(error.message).toContain(`too many jobs: the config has ${MAX_CONFIG_JOBS + 2000}`)
    // Line 4 holds job 0, so job 10,000 (the first one too many) is on line 10,004.
    expect(error.details).toMatchObject({ line: MAX_CONFIG_JOBS + 4, path: `hooks.pre-commit.jobs[${MAX_CONFIG_JOBS}]` })
  })

  it("the jobs of hookd-local.yml count too", async () => {
    writeFileSync(join(repo, "hookd.yml"), config(blockJobs(6000)))
    writeFileSync(join(repo, "hookd-local.yml"), config(blockJobs(6000, 6000), "pre-push"))
    try {
      const error = await configError(sandbox.socket, repo)
      expect(error.code).toBe("CONFIG_INVALID")
      expect(error.message).toContain("too many jobs: the config has 12000")
      expect(JSON.stringify(error)).toContain("hookd-local.yml")
    } finally {
      writeFileSync(join(repo, "hookd-local.yml"), "")
    }
  })

  it("a big config just under the caps is validated (its last job's unknown need is found) while Status is answered first", async () => {
    const jobs = blockJobs(MAX_CONFIG_JOBS - 1)
    jobs.push(`      - name: last\n        run: "true"\n        needs: [nope]`)
    const text = config(jobs)
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES)
    writeFileSync(join(repo, "hookd.yml"), text)
    // Both connections are open before the RunJobs is sent, so the Status arrives while it loads.
    const { runAnswer, statusAnswer, order } = await loadWhileAsking(sandbox.socket, repo)
    expect(statusAnswer.kind).toBe("SupervisorStatus")
    const error = payloadOf(runAnswer, "Error")
    expect(error.details).toMatchObject({ message: 'job "last" needs unknown job "nope"' })
    expect(error.details).toMatchObject({ line: 2 * MAX_CONFIG_JOBS + 4, path: `hooks.pre-commit.jobs[${MAX_CONFIG_JOBS - 1}].needs[0]` })
    expect(order).toEqual(["Status", "RunJobs"])
  })

  it("a 1 MiB hookd.yml is parsed in a worker thread: a Status sent while it parses is answered before the RunJobs, whose syntax error is on the last line", async () => {
    // ~1.8 s of parsing on one CPU: before, the supervisor's thread did it, and answered nobody meanwhile.
    const jobs = blockJobs(23_900)
    const text = `${config(jobs)}  pre-push: [unclosed\n`
    expect(text.length).toBeGreaterThan(MAX_CONFIG_BYTES - 64 * 1024)
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES)
    writeFileSync(join(repo, "hookd.yml"), text)
    const before = hookd.output().length
    // The supervisor says when it hands the file to the worker; only then is Status asked.
    const parsing = () =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!/"event":"config_parse".*"thread":"worker"/.test(hookd.output().slice(before))) return
          hookd.proc.stderr!.off("data", check)
          resolve()
        }
        hookd.proc.stderr!.on("data", check)
        check()
      })
    const { runAnswer, statusAnswer, order } = await loadWhileAsking(sandbox.socket, repo, parsing)
    expect(statusAnswer.kind).toBe("SupervisorStatus")
    const error = payloadOf(runAnswer, "Error")
    expect(error.code).toBe("CONFIG_INVALID")
    expect(error.message).toContain("YAML syntax error")
    // The unclosed list of the last line, reported where the file ends.
    expect((error.details as { line: number }).line).toBeGreaterThanOrEqual(2 * jobs.length + 4)
    expect(order).toEqual(["Status", "RunJobs"])
  })
})
