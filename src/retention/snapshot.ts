// Pure translations from store rows to the retention decision's input, and the stale check.
// No I/O: the sweep shell reads the rows, these decide.
import type { RetentionInput, RetentionInvocation } from "../domain/retention"
import { isTerminal, type JobStatus } from "../domain/status"
import type { InvocationRow, JobRow } from "../store/rows"
import type { RepoRetentionPolicy } from "./policy"

export interface InvocationWithJobs {
  readonly invocation: InvocationRow
  readonly jobs: ReadonlyArray<JobRow>
}

/**
 * Sizes come from each job row's `log_bytes`, which the runner writes when the job ends. A job
 * still running counts 0 until then; it cannot be evicted anyway, and reading the rows is far
 * cheaper than walking every log directory on each sweep.
 */
export const toRetentionInvocation = ({ invocation, jobs }: InvocationWithJobs): RetentionInvocation => ({
  invocation_id: invocation.invocation_id,
  worktree: invocation.worktree,
  created_at: invocation.created_at,
  jobs: jobs.map((j) => ({
    status: j.status,
    finished_at: j.finished_at,
    retention_secs: j.retention_secs,
    log_bytes: j.log_bytes
  }))
})

export const retentionInput = (
  rows: ReadonlyArray<InvocationWithJobs>,
  policy: RepoRetentionPolicy,
  now: number,
  olderThanSecs: number | undefined
): RetentionInput => ({
  now,
  policy: { retention_secs: policy.retention_secs, keep_last: policy.keep_last, max_total_bytes: policy.max_total_bytes },
  invocations: rows.map(toRetentionInvocation),
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
  rows: ReadonlyArray<InvocationWithJobs>,
  policy: RepoRetentionPolicy,
  now: number
): StaleJob[] => {
  const limit = policy.stale_running_after_secs * 1000
  const stale: StaleJob[] = []
  for (const { invocation, jobs } of rows) {
    for (const job of jobs) {
      if (isTerminal(job.status)) continue
      const since = job.started_at ?? job.queued_at ?? invocation.created_at
      if (now - since >= limit) stale.push({ invocation_id: invocation.invocation_id, name: job.name, status: job.status, since })
    }
  }
  return stale
}
