import { describe, expect, it } from "vitest"
import { invocationStatus } from "../../src/domain/reconcile"

describe("invocationStatus", () => {
  it.each<[string[], string]>([
    [[], "completed"],
    [["completed", "completed"], "completed"],
    [["completed", "skipped"], "completed"],
    [["completed", "running"], "running"],
    [["failed", "queued"], "running"],
    [["cancelling"], "running"],
    [["completed", "some-status-from-a-newer-hookd"], "running"],
    [["completed", "failed"], "failed"],
    [["timed_out", "completed"], "failed"],
    [["crashed"], "failed"],
    [["cancelled", "failed"], "failed"],
    [["cancelled", "skipped", "completed"], "cancelled"]
  ])("%j → %s", (statuses, expected) => {
    expect(invocationStatus(statuses)).toBe(expected)
  })
})
