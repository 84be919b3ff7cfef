// Status classes shared by the pure decisions (SPEC §3). Pure: no I/O.
import { JOB_STATUSES, isTerminalStatus, type JobStatus } from "../protocol/types"

export type { JobStatus }

const knownStatuses: ReadonlySet<string> = new Set(JOB_STATUSES)

/** A status string read from a database: one this build does not know (a newer hookd's) is "unknown". */
export const toJobStatus = (status: string): JobStatus => (knownStatuses.has(status) ? (status as JobStatus) : "unknown")

/** Statuses that a previous supervisor owned while it ran: reconcile looks at exactly these (SPEC §6). */
export const ACTIVE_STATUSES: ReadonlyArray<JobStatus> = ["queued", "running", "cancelling"]

/** Statuses that `Retry` on an invocation re-runs (SPEC §2 Retry). */
export const RETRYABLE_STATUSES: ReadonlyArray<JobStatus> = ["failed", "cancelled", "crashed", "timed_out"]

/** Statuses that make an invocation "failed" when nothing is left running. */
const FAILURE_STATUSES: ReadonlyArray<JobStatus> = ["failed", "timed_out", "crashed"]

export const isActiveStatus = (status: JobStatus): boolean => ACTIVE_STATUSES.includes(status)

/**
 * Terminal = the job will never change again. A status this build does not know (written by a
 * newer hookd, read as "unknown") is NOT terminal, so nothing is evicted or rolled up on a guess.
 */
export const isTerminal = (status: JobStatus): boolean => isTerminalStatus(status)

export const isRetryableStatus = (status: JobStatus): boolean => RETRYABLE_STATUSES.includes(status)

export type InvocationStatus = "running" | "failed" | "cancelled" | "completed"

/**
 * Rolls an invocation's job statuses up into one status, first rule that applies:
 * - "running"   if any job is not terminal (queued, running, cancelling, or unknown);
 * - "failed"    if any job failed, timed out or crashed;
 * - "cancelled" if any job was cancelled;
 * - "completed" otherwise — every job completed or was skipped, or there were no jobs.
 * Failure wins over cancellation because a failure is what the user needs to look at.
 */
export const invocationStatus = (jobStatuses: ReadonlyArray<JobStatus>): InvocationStatus => {
  if (jobStatuses.some((s) => !isTerminal(s))) return "running"
  if (jobStatuses.some((s) => FAILURE_STATUSES.includes(s))) return "failed"
  if (jobStatuses.includes("cancelled")) return "cancelled"
  return "completed"
}
