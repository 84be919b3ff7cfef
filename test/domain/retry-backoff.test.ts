import { describe, expect, it } from "vitest"
import {
  backoffDelay,
  describeAttemptEnd,
  isRetryableEnd,
  MAX_BACKOFF_MS,
  shouldRetry,
  statusOfAttemptEnd,
  type AttemptEnd,
  type RetryPolicy
} from "../../src/domain/retry-backoff"

const policy = (attempts: number, backoffMs: number): RetryPolicy => ({ attempts, backoffMs })
const exit = (code: number): AttemptEnd => ({ _tag: "Exited", code })
const signal: AttemptEnd = { _tag: "Signaled", signal: "SIGKILL" }
const timeout: AttemptEnd = { _tag: "TimedOut", afterMs: 100 }

describe("backoffDelay", () => {
  it.each([
    // [what, policy, next attempt, random, wait]
    ["before the 2nd attempt: the backoff itself", policy(5, 5_000), 2, 0, 5_000],
    ["before the 3rd: doubled", policy(5, 5_000), 3, 0, 10_000],
    ["before the 4th: doubled again", policy(5, 5_000), 4, 0, 20_000],
    ["100ms base, 3rd attempt", policy(3, 100), 3, 0, 200],
    ["capped at 5 min", policy(10, 60_000), 5, 0, MAX_BACKOFF_MS],
    ["a base above the cap is capped", policy(2, 900_000), 2, 0, MAX_BACKOFF_MS],
    ["jitter shortens by up to 20 %", policy(3, 5_000), 2, 0.5, 4_500],
    ["almost full jitter", policy(3, 5_000), 2, 0.999999, 4_000],
    ["jitter on the cap stays below the cap", policy(10, 300_000), 9, 0.25, 285_000],
    ["zero backoff retries at once", policy(3, 0), 3, 0.7, 0],
    ["a huge attempt number stays finite", policy(10, 1), 5_000, 0, MAX_BACKOFF_MS],
    ["a random outside [0, 1) is clamped", policy(3, 1_000), 2, 7, 800],
    ["next < 2 (nonsense) is treated as 2", policy(3, 1_000), 1, 0, 1_000]
  ])("%s", (_, p, next, random, wait) => {
    expect(backoffDelay(p, next, random)).toBe(wait)
  })

  it("never exceeds the cap nor goes below 80 % of the uncapped-or-capped wait", () => {
    for (let next = 2; next < 12; next++) {
      for (const random of [0, 0.1, 0.5, 0.9, 0.99]) {
        const wait = backoffDelay(policy(12, 3_000), next, random)
        const full = Math.min(MAX_BACKOFF_MS, 3_000 * 2 ** (next - 2))
        expect(wait).toBeLessThanOrEqual(full)
        expect(wait).toBeGreaterThanOrEqual(Math.floor(full * 0.8))
      }
    }
  })
})

describe("shouldRetry", () => {
  it.each([
    ["no policy", undefined, 1, exit(1), false],
    ["attempt 1 of 3 failed", policy(3, 100), 1, exit(1), true],
    ["attempt 2 of 3 failed", policy(3, 100), 2, exit(2), true],
    ["attempt 3 of 3 failed: the last", policy(3, 100), 3, exit(1), false],
    ["a success is never retried", policy(3, 100), 1, exit(0), false],
    ["killed by a signal", policy(2, 100), 1, signal, true],
    ["timed out", policy(2, 100), 1, timeout, true],
    ["attempts: 1 means no retry", policy(1, 100), 1, exit(1), false]
  ])("%s", (_, p, attempt, end, expected) => {
    expect(shouldRetry(p, attempt, end)).toBe(expected)
  })
})

describe("attempt ends", () => {
  it.each([
    [exit(0), false, "exit 0", "completed"],
    [exit(3), true, "exit 3", "failed"],
    [signal, true, "killed by SIGKILL", "failed"],
    [timeout, true, "timed out after 100 ms", "timed_out"]
  ] as const)("%j", (end, retryable, text, status) => {
    expect(isRetryableEnd(end)).toBe(retryable)
    expect(describeAttemptEnd(end)).toBe(text)
    expect(statusOfAttemptEnd(end)).toBe(status)
  })
})
