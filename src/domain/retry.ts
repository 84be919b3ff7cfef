// Which jobs a `Retry` re-runs, and with which `needs` (SPEC §2 Retry). Pure: no I/O.
import { dependentsClosure } from "./dag"
import { isActiveStatus, isRetryableStatus, type JobStatus } from "./status"

/** The part of a job row retry reads; real store rows fit structurally. */
export interface RetryableJob {
  readonly name: string
  readonly status: JobStatus
  readonly needs: ReadonlyArray<string>
}

export type RetryTarget = { readonly kind: "job"; readonly name: string } | { readonly kind: "invocation" }

export interface RetryPlan {
  /** Jobs of the new invocation, in the old invocation's declaration order. */
  readonly names: string[]
  /** `needs` of each re-run job, restricted to jobs that are re-run too. */
  readonly needs: Record<string, string[]>
}

export type RetryResult = RetryPlan | { readonly error: string }

export const isRetryError = (r: RetryResult): r is { readonly error: string } => "error" in r

/**
 * - One job: re-run exactly that job, alone — its dependencies already ran, so its `needs` are dropped.
 *   A job that is still queued/running/cancelling cannot be retried (it would run twice).
 * - An invocation: re-run every failed/cancelled/crashed/timed-out job and everything that
 *   (transitively) needs one of them. A `needs` edge to a job that completed is dropped: that
 *   job is not re-run, and its earlier success stands.
 */
export const planRetry = (jobs: ReadonlyArray<RetryableJob>, target: RetryTarget): RetryResult => {
  if (target.kind === "job") {
    const job = jobs.find((j) => j.name === target.name)
    if (job === undefined) return { error: `no job named "${target.name}" in this invocation` }
    if (isActiveStatus(job.status)) return { error: `job "${job.name}" is still ${job.status}; cancel it first` }
    return { names: [job.name], needs: { [job.name]: [] } }
  }
  const roots = jobs.filter((j) => isRetryableStatus(j.status)).map((j) => j.name)
  if (roots.length === 0) {
    return { error: "nothing to retry: no job failed, was cancelled, crashed or timed out" }
  }
  const names = dependentsClosure(jobs, roots)
  const rerun = new Set(names)
  const needs: Record<string, string[]> = {}
  for (const job of jobs) {
    if (rerun.has(job.name)) needs[job.name] = job.needs.filter((n) => rerun.has(n))
  }
  return { names, needs }
}
