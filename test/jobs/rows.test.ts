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
