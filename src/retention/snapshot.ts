// Pure translations from store rows to the retention decision's input, and the stale check.
// No I/O: the sweep shell reads the aggregates and the few non-terminal jobs, these decide.
import type { InvocationSummary, RetentionInput } from "../domain/retention"
import type { JobStatus } from "../domain/status"
import type { JobRow } from "../store/rows"
import type { RepoRetentionPolicy } from "./policy"

/**
 * Sizes come from each job row's `log_bytes`, which the runner writes when the job ends. A job
 * still running counts 0 until then; it cannot be evicted anyway, and summing the rows in SQL is far
 * cheaper than walking every log directory on each sweep.
 */
export const retentionInput = (
  summaries: ReadonlyArray<InvocationSummary>,
  policy: RepoRetentionPolicy,
  now: number,
  olderThanSecs: number | undefined
): RetentionInput => ({
  now,
  policy: { retention_secs: policy.retention_secs, keep_last: policy.keep_last, max_total_bytes: policy.max_total_bytes },
  invocations: summaries,
  ...(olderThanSecs !== undefined ? { olderThanSecs } : {})
})

export interface StaleJob {
  readonly invocation_id: string
  readonly name: string
  readonly status: JobStatus
  /** When it last changed state as far as the row knows: started, else queued, else the invocation's creation. */
  readonly since: number
}

/**
 * Jobs still non-terminal after `stale_running_after`. They are only reported: a long build may be
 * legitimate, and reconcile already ends what a dead supervisor left, so the sweep never kills.
 * Their invocations stay unevictable like any other active invocation.
 */
export const findStaleJobs = (
  nonTerminal: ReadonlyArray<JobRow>,
  createdAtOf: (invocationId: string) => number | undefined,
  policy: RepoRetentionPolicy,
  now: number
): StaleJob[] => {
  const limit = policy.stale_running_after_secs * 1000
  const stale: StaleJob[] = []
  for (const job of nonTerminal) {
    const since = job.started_at ?? job.queued_at ?? createdAtOf(job.invocation_id) ?? now
    if (now - since >= limit) stale.push({ invocation_id: job.invocation_id, name: job.name, status: job.status, since })
  }
  return stale
}
