// Automatic retry (issue 12 item 8) through real git, a real supervisor and hookctl: attempts are
// visible in ls/show, logs shows every attempt's output in order, a dependent runs once after the
// last attempt, a cancel during the backoff ends the job, and a supervisor killed (-9) during the
// backoff leaves a row that the next one ends as its last attempt did.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runGit } from "../support/git"
import type { LogRecord } from "../../src/protocol/types"
import { hookctl, lsJson } from "../support/hookctl"
import { makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"
import { finished, getJob, repoWithHooks as repoWithHooksIn, useSupervisor } from "./helpers"

let sandbox: Sandbox
let counter = 0

useSupervisor({}, (started) => ({ sandbox } = started))

/** Counts its runs in `file`, prints `attempt N`, and succeeds from run `succeedAt` on (never when 0). */
const flaky = (file: string, succeedAt: number) =>
  `n=$(cat '${file}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${file}'; echo attempt $n; ` + (succeedAt === 0 ? "exit 1" : `[ $n -ge ${succeedAt} ]`)

const config = (run: string, retry: string, extraJobs = "") =>
  `hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - name: flaky\n        run: ${JSON.stringify(run)}\n        retry: ${retry}\n${extraJobs}`

const checkout = async (s: Sandbox, repo: string, branch: string) => {
  const r = await runGit(repo, ["checkout", "-q", "-b", branch], s.env)
  expect(r.code, r.stderr).toBe(0)
}

/** Resolves once the job's log has the record that ends attempt `attempt` (TailLogs, no polling). */
const attemptFailed = async (socket: string, repo: string, invocationId: string, attempt: number): Promise<void> => {
  const c = await TestClient.connect(socket)
  try {
    c.send("TailLogs", { job: { repo_root: repo, invocation_prefix: invocationId, name: "flaky" }, follow: true, kinds: ["status"] })
    for (;;) {
      const f = await c.next()
      if (f.kind !== "StreamFrame") throw new Error(`flaky ended before attempt ${attempt} failed: ${JSON.stringify(f)}`)
      const record = (f.payload as { record: LogRecord }).record
      if (record.kind === "status" && record.data.event === "attempt_failed" && record.data.attempt === attempt) return
    }
  } finally {
    c.close()
  }
}

describe("retry through git", () => {
  it("fails twice, then completes on attempt 3: ls, show and logs show the attempts; the dependent runs once, after it", async () => {
    const runs = join(sandbox.dir, `runs${counter}`)
    const after = join(sandbox.dir, `after${counter}`)
    const repo = await repoWithHooksIn(
      sandbox,
      join(sandbox.dir, `repo${counter++}`),
      config(flaky(runs, 3), "{ attempts: 3, backoff: 100ms }", `      - { name: after, run: "echo ran >> '${after}'", needs: [flaky] }\n`)
    )
    await checkout(sandbox, repo, "feature")
    const first = (await lsJson(sandbox, repo)).find((j) => j.name === "flaky")!
    const ended = await finished(sandbox.socket, repo, first.invocation_id, "flaky")
    expect(ended).toMatchObject({ status: "completed", exit_code: 0, attempt: 3, max_attempts: 3, retry_at: null })
    expect(ended.earlier_attempts?.map((a) => [a.attempt, a.status, a.exit_code])).toEqual([[1, "failed", 1], [2, "failed", 1]])
    const afterJob = await finished(sandbox.socket, repo, first.invocation_id, "after")
    expect(afterJob.status).toBe("completed")
    expect(afterJob.started_at!).toBeGreaterThanOrEqual(ended.finished_at!)
    expect(readFileSync(after, "utf8")).toBe("ran\n")
    expect(readFileSync(runs, "utf8").trim()).toBe("3")

    const address = `${first.invocation_id.slice(0, 8)}:flaky`
    const ls = await hookctl(sandbox, repo, ["ls"], { COLUMNS: "160" })
    expect(ls.stdout).toMatch(new RegExp(`${address}\\s+completed \\(attempt 3/3\\)`))

    const show = await hookctl(sandbox, repo, ["show", address])
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/^attempts {3}3 of 3$/m)
    expect(show.stdout).toMatch(/^attempt 1 {2}failed, exit 1, ended /m)
    expect(show.stdout).toMatch(/^attempt 2 {2}failed, exit 1, ended /m)

    const logs = await hookctl(sandbox, repo, ["logs", address])
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toBe("attempt 1\nattempt 2\nattempt 3\n")
    const status = logs.stderr.split("\n").filter((l) => l.startsWith("[hookd]"))
    expect(status.map((l) => l.replace(/retry_in_ms=\d+/, "retry_in_ms=N").replace(/pid=\d+/, "pid=P"))).toEqual([
      "[hookd] started pid=P",
      "[hookd] attempt_failed attempt=1 of=3 exit_code=1 retry_in_ms=N",
      "[hookd] started pid=P",
      "[hookd] attempt_failed attempt=2 of=3 exit_code=1 retry_in_ms=N",
      "[hookd] started pid=P",
      "[hookd] finished exit_code=0"
    ])
  })

  it("hookctl cancel during the backoff ends the job cancelled with no further attempt", async () => {
    const runs = join(sandbox.dir, `runs${counter}`)
    const repo = await repoWithHooksIn(sandbox, join(sandbox.dir, `repo${counter++}`), config(flaky(runs, 0), "{ attempts: 3, backoff: 1m }"))
    await checkout(sandbox, repo, "feature")
    const [job] = await lsJson(sandbox, repo)
    await attemptFailed(sandbox.socket, repo, job.invocation_id, 1)
    const address = `${job.invocation_id.slice(0, 8)}:flaky`
    const waiting = await getJob(sandbox.socket, repo, job.invocation_id, "flaky")
    expect(waiting).toMatchObject({ status: "queued", attempt: 2, max_attempts: 3 })
    expect(waiting.retry_at).toBeGreaterThan(waiting.earlier_attempts![0]!.finished_at)
    const ls = await hookctl(sandbox, repo, ["ls"], { COLUMNS: "160" })
    expect(ls.stdout).toMatch(new RegExp(`${address}\\s+queued \\(retry 2/3\\).*attempt 1 failed: exit 1`))

    const cancel = await hookctl(sandbox, repo, ["cancel", address])
    expect(cancel.code, cancel.stderr).toBe(0)
    const ended = await finished(sandbox.socket, repo, job.invocation_id, "flaky")
    expect(ended).toMatchObject({ status: "cancelled", error: "cancelled by user", attempt: 2, retry_at: null })
    expect(readFileSync(runs, "utf8").trim()).toBe("1")
  })
})

describe("retry of a job git waits for", () => {
  it("pre-commit: the commit waits for the attempts; git shows each attempt's output and why it runs again", async () => {
    const runs = join(sandbox.dir, `runs${counter}`)
    const repo = await repoWithHooksIn(
      sandbox,
      join(sandbox.dir, `repo${counter++}`),
      `hooks:\n  pre-commit:\n    jobs:\n      - name: flaky\n        run: ${JSON.stringify(flaky(runs, 2))}\n        retry: { attempts: 2, backoff: 50ms }\n`
    )
    const r = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "second try"], sandbox.env)
    expect(r.code, r.stderr).toBe(0)
    // git shows a commit hook's stdout on its stderr: attempt 1, why it runs again, attempt 2.
    expect(r.stderr).toMatch(/^attempt 1\n\[hookd\] attempt_failed attempt=1 of=2 exit_code=1 retry_in_ms=\d+ \(flaky\)\nattempt 2$/m)
    expect(r.stderr).toMatch(/^ {2}ok {3}flaky/m)
    expect(readFileSync(runs, "utf8").trim()).toBe("2")
  })
})

describe("a supervisor killed during the backoff", () => {
  it("the next supervisor ends the job as its last attempt did (failed, exit 1), saying which attempt never ran", async () => {
    const own = makeSandbox()
    try {
      const first = await startSupervisor(own)
      const runs = join(own.dir, "runs")
      const repo = await repoWithHooksIn(own, join(own.dir, "repo"), config(flaky(runs, 0), "{ attempts: 3, backoff: 5m }"))
      await checkout(own, repo, "feature")
      const [job] = await lsJson(own, repo)
      await attemptFailed(own.socket, repo, job.invocation_id, 1)
      expect(await first.stop("SIGKILL")).toBe("SIGKILL")

      const second = await startSupervisor(own)
      try {
        const ended = await getJob(own.socket, repo, job.invocation_id, "flaky")
        expect(ended).toMatchObject({
          status: "failed",
          exit_code: 1,
          attempt: 2,
          retry_at: null,
          error: "attempt 2 of 3 never ran: supervisor restarted during the backoff"
        })
        expect(readFileSync(runs, "utf8").trim()).toBe("1")
        const logs = await hookctl(own, repo, ["logs", `${job.invocation_id.slice(0, 8)}:flaky`])
        expect(logs.stderr.trim().split("\n").at(-1)).toBe("[hookd] finished exit_code=1")
      } finally {
        await second.stopCleanly()
      }
    } finally {
      own.cleanup()
    }
  })
})
