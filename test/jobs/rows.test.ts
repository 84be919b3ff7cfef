// Pure translations between protocol values and store rows, and the wait outcome rule.
import { describe, expect, it } from "vitest"
import { outcomeOf } from "../../src/supervisor/handlers/run-jobs"
import { newJobRow, specFromRow, toJobInfo } from "../../src/jobs/rows"
import { toJobStatus } from "../../src/domain/status"

const ctx = { invocationId: "aaaabbbbccccdddd", hook: "post-checkout", worktree: "/w", env: { A: "1" }, now: 1000 }

describe("job rows", () => {
  it("a new job is queued with the default timeout; a skipped one is finished at once", () => {
    expect(newJobRow({ name: "b", run: "make", background: true }, ctx)).toMatchObject({
      status: "queued",
      timeout_ms: 300000,
      finished_at: null,
      env: { A: "1" }
    })
    expect(newJobRow({ name: "b", run: "make", background: true, skip_reason: "skip: env CI" }, ctx)).toMatchObject({
      status: "skipped",
      skip_reason: "skip: env CI",
      finished_at: 1000
    })
  })

  it("a stored job becomes the same spec again (for Retry)", () => {
    const spec = {
      name: "b",
      run: "make",
      cwd: "web",
      env: { A: "1", B: "2" },
      needs: ["a"],
      tags: ["t"],
      background: false,
      timeout_ms: 0,
      log: { retention_secs: 60, max_bytes: 10, sampling_every_nth: 2 }
    }
    expect(specFromRow(newJobRow(spec, ctx), ["a"])).toEqual({ ...spec, env: { A: "1", B: "2" } })
  })

  it("retry: the row records the policy, hookctl retry keeps it, and JobInfo shows the attempts", () => {
    const row = newJobRow({ name: "flaky", run: "x", background: true, retry: { attempts: 3, backoff_ms: 100 } }, ctx)
    expect(row).toMatchObject({ attempt: 1, max_attempts: 3, retry_backoff_ms: 100, retry_at: null, attempts: [] })
    expect(specFromRow(row, []).retry).toEqual({ attempts: 3, backoff_ms: 100 })
    expect(specFromRow(newJobRow({ name: "plain", run: "x", background: true }, ctx), []).retry).toBeUndefined()
    const earlier = { attempt: 1, status: "failed" as const, exit_code: 1, signal: null, error: null, finished_at: 900 }
    expect(toJobInfo({ repoId: "r", root: "/w" }, { ...row, attempt: 2, retry_at: 1200, attempts: [earlier] }, 1000)).toMatchObject({
      attempt: 2,
      max_attempts: 3,
      retry_at: 1200,
      earlier_attempts: [earlier],
      notified_at: null
    })
    expect(toJobInfo({ repoId: "r", root: "/w" }, row, 1000)).not.toHaveProperty("earlier_attempts")
  })

  it("a status from a newer database renders as unknown", () => {
    expect(toJobStatus("paused-by-future")).toBe("unknown")
    expect(toJobStatus("cancelling")).toBe("cancelling")
    const row = { ...newJobRow({ name: "b", run: "x", background: true }, ctx), status: toJobStatus("hibernating"), started_at: 1000 }
    expect(toJobInfo({ repoId: "r", root: "/w" }, row, 1500)).toMatchObject({ status: "unknown", duration_ms: 500 })
  })
})

describe("the outcome of a waited run", () => {
  it.each([
    [["completed", "skipped"], "completed"],
    [[], "completed"],
    [["completed", "failed"], "failed"],
    [["timed_out"], "failed"],
    [["cancelled", "completed"], "cancelled"],
    [["cancelled", "failed"], "failed"]
  ] as const)("%j → %s", (statuses, outcome) => {
    expect(outcomeOf(statuses)).toBe(outcome)
  })
})
