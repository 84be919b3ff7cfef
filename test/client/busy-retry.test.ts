// The BUSY retry schedule (pure): doubling pauses with jitter, all inside the budget.
import { describe, expect, it } from "vitest"
import { busyRetryBudgetMs, busyRetryDelayMs, DEFAULT_BUSY_RETRY_MS } from "../../src/client/busy-retry"

describe("busyRetryDelayMs", () => {
  it.each([
    // attempt, elapsed, budget, random → delay
    [1, 0, 2000, 0, 25],
    [1, 0, 2000, 0.999, 37],
    [2, 30, 2000, 0, 50],
    [3, 100, 2000, 0, 100],
    [4, 200, 2000, 0, 200],
    [5, 400, 2000, 0, 400],
    [9, 1000, 2000, 0, 400],
    [9, 1000, 2000, 0.5, 500],
    [30, 0, 2000, 0, 400],
    [5, 1700, 2000, 0, undefined],
    [1, 0, 0, 0, undefined],
    [1, 1990, 2000, 0, undefined]
  ])("attempt %i after %i ms of %i (random %f) → %s", (attempt, elapsed, budget, random, expected) => {
    expect(busyRetryDelayMs(attempt, elapsed, budget, random)).toBe(expected)
  })

  it("never schedules more than ten retries within the default budget, whatever the jitter", () => {
    for (const random of [0, 0.5, 0.999]) {
      let elapsed = 0
      let attempts = 0
      for (let delay = busyRetryDelayMs(1, 0, DEFAULT_BUSY_RETRY_MS, random); delay !== undefined; ) {
        elapsed += delay
        attempts++
        delay = busyRetryDelayMs(attempts + 1, elapsed, DEFAULT_BUSY_RETRY_MS, random)
      }
      expect(elapsed).toBeLessThanOrEqual(DEFAULT_BUSY_RETRY_MS)
      expect(attempts).toBeGreaterThanOrEqual(5)
      expect(attempts).toBeLessThanOrEqual(9)
    }
  })
})

describe("busyRetryBudgetMs", () => {
  it.each([
    [undefined, DEFAULT_BUSY_RETRY_MS],
    ["", DEFAULT_BUSY_RETRY_MS],
    ["0", 0],
    ["500", 500],
    [" 750 ", 750],
    ["-1", DEFAULT_BUSY_RETRY_MS],
    ["2s", DEFAULT_BUSY_RETRY_MS],
    ["1.5", DEFAULT_BUSY_RETRY_MS],
    ["99999999", DEFAULT_BUSY_RETRY_MS]
  ])("HOOKD_BUSY_RETRY_MS=%s → %i", (value, expected) => {
    expect(busyRetryBudgetMs({ HOOKD_BUSY_RETRY_MS: value })).toBe(expected)
  })
})
