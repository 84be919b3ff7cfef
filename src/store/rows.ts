// Rows as the rest of hookd sees them: JSON columns decoded, booleans as booleans, times in epoch ms.
// The store knows SQL and these shapes, nothing of how jobs run.
import type { JobStatus } from "../domain/status"

export interface InvocationRow {
  invocation_id: string
  hook: string
  worktree: string
  args: string[]
  created_at: number
  status: string
  supervisor_pid: number
}

export interface JobRow {
  invocation_id: string
  name: string
  hook: string
  worktree: string
  command: string
  cwd: string | null
  env: Record<string, string>
  needs: string[]
  tags: string[]
  background: boolean
  status: JobStatus
  exit_code: number | null
  signal: string | null
  pid: number | null
  pgid: number | null
  proc_start: string | null
  queued_at: number | null
  started_at: number | null
  finished_at: number | null
  timeout_ms: number | null
  retention_secs: number | null
  sampling_every_nth: number | null
  max_log_bytes: number | null
  log_bytes: number
  skip_reason: string | null
  error: string | null
  /** Hash of what the job's work depends on (jobs with `inputs:`), else null. */
  input_key: string | null
  /** On a job skipped as unchanged: the invocation whose completed run had the same input key. */
  input_match: string | null
  /** Which attempt the row describes (`retry:`); 1 for a job without retry. */
  attempt: number
  /** The job's retry attempts, the first included; 1 = no retry. */
  max_attempts: number
  /** The wait before the 2nd attempt; null without retry. */
  retry_backoff_ms: number | null
  /** While the job waits to be retried (status queued): when the next attempt starts. */
  retry_at: number | null
  /** How the earlier attempts ended, oldest first. */
  attempts: EarlierAttemptRow[]
  /** When a background failure was reported by a notice; null = not yet. Written by markNotified only. */
  notified_at: number | null
}

/** The attempt fields of a job row that is not (yet) retried: attempt 1, no retry, not notified. */
export const firstAttemptFields = (): Pick<JobRow, "attempt" | "max_attempts" | "retry_backoff_ms" | "retry_at" | "attempts" | "notified_at"> => ({
  attempt: 1,
  max_attempts: 1,
  retry_backoff_ms: null,
  retry_at: null,
  attempts: [],
  notified_at: null
})

/** One earlier attempt of a retried job. */
export interface EarlierAttemptRow {
  readonly attempt: number
  readonly status: JobStatus
  readonly exit_code: number | null
  readonly signal: string | null
  readonly error: string | null
  readonly finished_at: number
}

export type JobPatch = Partial<Omit<JobRow, "invocation_id" | "name">>

/** A listed job: no `env` (listings never show it, and it is the bulk of a row). */
export interface ListedJobRow extends Omit<JobRow, "env"> {
  invocation_created_at: number
  /** Where the row is in the listing order (a ListJobs cursor resumes after it). */
  invocation_rowid: number
  job_rowid: number
}

export interface RepoPolicyRow {
  retention_secs: number
  keep_last: number
  max_total_bytes: number
  stale_running_after_secs: number
  updated_at: number
}

export interface JobFilter {
  worktree?: string
  hook?: string
  statuses?: ReadonlyArray<string>
  tag?: string
  invocation_prefix?: string
  limit?: number
  /** Background jobs not yet reported by a failure notice (notified_at null) first (`ls --failed`). */
  unnoticedFirst?: boolean
}

export interface RepoRow {
  repo_id: string
  root: string
  created_at: number
}

/** Statuses owned by a live supervisor; anything else is terminal (or unknown, from a newer build). */
export const NON_TERMINAL_JOB_STATUSES: ReadonlyArray<JobStatus> = ["queued", "running", "cancelling"]

/** A background job that ended failed, timed_out or crashed and was not reported yet. */
export interface FailureNoticeRow {
  readonly invocation_id: string
  readonly name: string
  readonly hook: string
  readonly status: string
  readonly exit_code: number | null
  readonly signal: string | null
  readonly finished_at: number | null
}
