import { describe, expect, it } from "vitest"
import { invocationStatus } from "../../src/domain/reconcile"
import type { JobStatus } from "../../src/domain/status"

describe("invocationStatus", () => {
  it.each<[JobStatus[], string]>([
    [[], "completed"],
    [["completed", "completed"], "completed"],
    [["completed", "skipped"], "completed"],
    [["completed", "running"], "running"],
    [["failed", "queued"], "running"],
    [["cancelling"], "running"],
    [["completed", "unknown"], "running"], // a newer hookd's status, as the store reads it
    [["completed", "failed"], "failed"],
    [["timed_out", "completed"], "failed"],
    [["crashed"], "failed"],
    [["cancelled", "failed"], "failed"],
    [["cancelled", "skipped", "completed"], "cancelled"]
  ])("%j → %s", (statuses, expected) => {
    expect(invocationStatus(statuses)).toBe(expected)
  })
})
