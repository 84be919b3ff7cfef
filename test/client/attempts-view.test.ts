// How hookctl shows the attempts of a job with `retry:` (issue 12 item 8): the STATUS of ls, the
// REASON while it waits, and show's attempt lines. Pure functions, table tests.
import { describe, expect, it } from "vitest"
import { queuedLine } from "../../src/client/commands/logs"
import { showLines } from "../../src/client/commands/show"
import { attemptText, statusLabel } from "../../src/client/format"
import { reasonText, renderJobsTable } from "../../src/client/jobs-view"
import type { JobInfo } from "../../src/protocol/types"
import { job as baseJob, NOW } from "./job-info"

/** The shared fixture as a supervisor with retry sends it: attempt fields present. */
const job = (over: Partial<JobInfo> = {}): JobInfo => baseJob({ attempt: 1, max_attempts: 1, retry_at: null, notified_at: null, ...over })

const failedAttempt = (attempt: number, over: Partial<NonNullable<JobInfo["earlier_attempts"]>[number]> = {}) => ({
  attempt,
  status: "failed" as const,
  exit_code: 1,
  signal: null,
  error: null,
  finished_at: NOW - 30_000,
  ...over
})

describe("attemptText and statusLabel", () => {
  it.each([
    ["no retry", {}, "completed", "", "completed"],
    ["first attempt of a retried job says nothing", { attempt: 1, max_attempts: 3 }, "running", "", "● running"],
    ["waiting for attempt 2", { attempt: 2, max_attempts: 3, retry_at: NOW + 4000 }, "queued", "retry 2/3", "queued (retry 2/3)"],
    ["attempt 2 waiting for a slot (no retry_at)", { attempt: 2, max_attempts: 3, retry_at: null }, "queued", "attempt 2/3", "queued (attempt 2/3)"],
    ["attempt 2 running", { attempt: 2, max_attempts: 3 }, "running", "attempt 2/3", "● running (attempt 2/3)"],
    ["completed on the last attempt", { attempt: 3, max_attempts: 3 }, "completed", "attempt 3/3", "completed (attempt 3/3)"],
    ["failed on the last attempt", { attempt: 3, max_attempts: 3 }, "failed", "attempt 3/3", "failed (attempt 3/3)"],
    ["an older supervisor sends no attempt fields", { attempt: undefined, max_attempts: undefined }, "failed", "", "failed"]
  ])("%s", (_, facts, status, text, label) => {
    expect(attemptText(facts, status)).toBe(text)
    expect(statusLabel(status, null, facts)).toBe(label)
  })

  it("superseded and the attempt read together", () => {
    expect(statusLabel("cancelled", "superseded by 0123456789abcdef", { attempt: 2, max_attempts: 3 })).toBe("cancelled (superseded, attempt 2/3)")
  })
})

describe("reasonText while waiting to retry", () => {
  it.each([
    ["exit code", job({ status: "queued", attempt: 2, max_attempts: 3, retry_at: NOW + 1000, earlier_attempts: [failedAttempt(1)] }), "attempt 1 failed: exit 1"],
    [
      "signal",
      job({ status: "queued", attempt: 3, max_attempts: 3, retry_at: NOW + 1000, earlier_attempts: [failedAttempt(1), failedAttempt(2, { exit_code: null, signal: "SIGKILL" })] }),
      "attempt 2 failed: killed by SIGKILL"
    ],
    [
      "timeout",
      job({ status: "queued", attempt: 2, max_attempts: 2, retry_at: NOW + 1000, earlier_attempts: [failedAttempt(1, { status: "timed_out", exit_code: null, error: "timed out after 300 ms" })] }),
      "attempt 1 failed: timed out after 300 ms"
    ],
    ["ended: the usual reason", job({ status: "failed", exit_code: 1, attempt: 3, max_attempts: 3, error: null, earlier_attempts: [failedAttempt(1), failedAttempt(2)] }), ""]
  ])("%s", (_, j, expected) => {
    expect(reasonText(j)).toBe(expected)
  })

  it("the ls table shows the attempt in STATUS and the failed attempt in REASON", () => {
    const [header, row] = renderJobsTable(
      [job({ status: "queued", exit_code: null, started_at: null, finished_at: null, duration_ms: null, attempt: 2, max_attempts: 3, retry_at: NOW + 4000, earlier_attempts: [failedAttempt(1)] })],
      { now: NOW, width: 160, colour: false, home: undefined }
    )
    expect(header).toMatch(/REASON/)
    expect(row).toContain("queued (retry 2/3)")
    expect(row).toContain("attempt 1 failed: exit 1")
  })
})

describe("show", () => {
  const rows = (j: JobInfo) => Object.fromEntries(showLines(j, NOW, undefined).map((l) => [l.slice(0, 11).trim(), l.slice(11)]))

  it("a job without retry has no attempt lines", () => {
    expect(Object.keys(rows(job()))).not.toContain("attempts")
  })

  it("a retried job: which attempt, and how each earlier one ended", () => {
    const r = rows(job({ attempt: 3, max_attempts: 3, earlier_attempts: [failedAttempt(1), failedAttempt(2, { exit_code: null, signal: "SIGTERM" })] }))
    expect(r.attempts).toBe("3 of 3")
    expect(r["attempt 1"]).toBe("failed, exit 1, ended 2023-11-14 22:12:50Z (30s ago)")
    expect(r["attempt 2"]).toBe("failed, killed by SIGTERM, ended 2023-11-14 22:12:50Z (30s ago)")
    expect(r["retry at"]).toBeUndefined()
  })

  it("a job waiting to be retried: when the next attempt starts", () => {
    const r = rows(job({ status: "queued", exit_code: null, attempt: 2, max_attempts: 3, retry_at: NOW + 4_000, earlier_attempts: [failedAttempt(1)] }))
    expect(r.status).toBe("queued (attempt 1 failed: exit 1)")
    expect(r["retry at"]).toBe("2023-11-14 22:13:24Z (in 4s)")
  })
})

describe("logs -f of a job waiting to be retried", () => {
  it("says which attempt comes when, and how the last one ended", () => {
    const waiting = job({ status: "queued", exit_code: null, attempt: 2, max_attempts: 3, retry_at: NOW + 4_000, earlier_attempts: [failedAttempt(1)] })
    expect(queuedLine(waiting, [waiting], NOW)).toBe("[hookd] queued (retry 2/3 in 4s; attempt 1 failed: exit 1)")
  })
})
