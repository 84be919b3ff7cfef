// Automatic retry of flaky jobs (issue 12 item 8, config `retry: {attempts, backoff}`): which ends
// are tried again and how long to wait first. Pure: the caller passes the random number.
// (Not to be confused with ./retry.ts, which plans the `hookctl retry` request.)
import { MAX_JOB_ATTEMPTS } from "../protocol/types"

/** The longest wait between two attempts, however many attempts came before. */
export const MAX_BACKOFF_MS = 300_000
/** The most attempts a job may have (the first run counts). */
export const MAX_ATTEMPTS = MAX_JOB_ATTEMPTS
/** The first wait when the config gives `attempts` only. */
export const DEFAULT_BACKOFF_MS = 5_000
/** A wait is shortened by up to this fraction, at random, so retries of many jobs do not fall in step. */
export const JITTER = 0.2

export interface RetryPolicy {
  /** Runs at most, the first included; 1 = no retry. */
  readonly attempts: number
  /** The wait before the second attempt; each later wait doubles, up to MAX_BACKOFF_MS. */
  readonly backoffMs: number
}

/** How one attempt ended, as far as retrying cares. */
export type AttemptEnd =
  | { readonly _tag: "Exited"; readonly code: number }
  | { readonly _tag: "Signaled"; readonly signal: string }
  | { readonly _tag: "TimedOut"; readonly afterMs: number }

/** An end worth another attempt: the command failed or timed out. (Cancels never reach here.) */
export const isRetryableEnd = (end: AttemptEnd): boolean => end._tag !== "Exited" || end.code !== 0

/** Whether attempt `attempt` (1-based), which ended `end`, is followed by another. */
export const shouldRetry = (policy: RetryPolicy | undefined, attempt: number, end: AttemptEnd): boolean =>
  policy !== undefined && attempt < policy.attempts && isRetryableEnd(end)

/**
 * The wait before attempt `next` (2, 3, …): backoff × 2^(next − 2), at most MAX_BACKOFF_MS, then
 * shortened by up to JITTER of itself — `random` in [0, 1) — so it never exceeds the cap. Whole ms.
 */
export const backoffDelay = (policy: RetryPolicy, next: number, random: number): number => {
  const exponent = Math.max(0, next - 2)
  // 2^exponent overflows to Infinity long after the cap is reached; min() keeps it finite.
  const capped = Math.min(MAX_BACKOFF_MS, policy.backoffMs * 2 ** exponent)
  const jitter = capped * JITTER * Math.min(Math.max(random, 0), 1)
  return Math.round(capped - jitter)
}

/** `exit 1`, `killed by SIGKILL`, `timed out after 100 ms`: what went wrong with an attempt, in ls's words. */
export const describeAttemptEnd = (end: AttemptEnd): string => {
  switch (end._tag) {
    case "Exited":
      return `exit ${end.code}`
    case "Signaled":
      return `killed by ${end.signal}`
    case "TimedOut":
      return `timed out after ${end.afterMs} ms`
  }
}

/** The job status an attempt's end stands for. */
export const statusOfAttemptEnd = (end: AttemptEnd): "completed" | "failed" | "timed_out" =>
  end._tag === "TimedOut" ? "timed_out" : end._tag === "Exited" && end.code === 0 ? "completed" : "failed"
