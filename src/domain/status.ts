// Status classes shared by the pure decisions (SPEC §3). Pure: no I/O.
import { isTerminalStatus } from "../protocol/types"

/** Statuses that a previous supervisor owned while it ran: reconcile looks at exactly these (SPEC §6). */
export const ACTIVE_STATUSES: ReadonlyArray<string> = ["queued", "running", "cancelling"]

/** Statuses that `Retry` on an invocation re-runs (SPEC §2 Retry). */
export const RETRYABLE_STATUSES: ReadonlyArray<string> = ["failed", "cancelled", "crashed", "timed_out"]

/** Statuses that make an invocation "failed" when nothing is left running. */
const FAILURE_STATUSES: ReadonlyArray<string> = ["failed", "timed_out", "crashed"]

export const isActiveStatus = (status: string): boolean => ACTIVE_STATUSES.includes(status)

/**
 * Terminal = the job will never change again. A status this build does not know (written by a
 * newer hookd) is treated as NOT terminal, so nothing is evicted or rolled up on a guess.
 */
export const isTerminal = (status: string): boolean => isTerminalStatus(status)

export const isRetryableStatus = (status: string): boolean => RETRYABLE_STATUSES.includes(status)

export type InvocationStatus = "running" | "failed" | "cancelled" | "completed"

/**
 * Rolls an invocation's job statuses up into one status, first rule that applies:
 * - "running"   if any job is not terminal (queued, running, cancelling, or unknown);
 * - "failed"    if any job failed, timed out or crashed;
 * - "cancelled" if any job was cancelled;
 * - "completed" otherwise — every job completed or was skipped, or there were no jobs.
 * Failure wins over cancellation because a failure is what the user needs to look at.
 */
export const invocationStatus = (jobStatuses: ReadonlyArray<string>): InvocationStatus => {
  if (jobStatuses.some((s) => !isTerminal(s))) return "running"
  if (jobStatuses.some((s) => FAILURE_STATUSES.includes(s))) return "failed"
  if (jobStatuses.includes("cancelled")) return "cancelled"
  return "completed"
}
