// Pure translations between protocol values and store rows.
import { firstAttemptFields, type JobRow, type ListedJobRow } from "../store/rows"
import type { CachedJobSpec } from "../domain/input-cache"
import type { JobInfo, JobSpec } from "../protocol/types"

export const DEFAULT_TIMEOUT_MS = 300_000

export interface NewJobContext {
  readonly invocationId: string
  readonly hook: string
  readonly worktree: string
  /** The request's env overlaid with the job's own env (the store scrubs secrets). */
  readonly env: Readonly<Record<string, string>>
  readonly now: number
}

export const newJobRow = (spec: CachedJobSpec, ctx: NewJobContext): JobRow => ({
  invocation_id: ctx.invocationId,
  name: spec.name,
  hook: ctx.hook,
  worktree: ctx.worktree,
  command: spec.run,
  cwd: spec.cwd ?? null,
  // One object for every job of an invocation without an env of its own (the store serializes it once).
  env: spec.env === undefined || Object.keys(spec.env).length === 0 ? ctx.env : { ...ctx.env, ...spec.env },
  needs: [...(spec.needs ?? [])],
  tags: [...(spec.tags ?? [])],
  background: spec.background,
  status: spec.skip_reason !== undefined ? "skipped" : "queued",
  exit_code: null,
  signal: null,
  pid: null,
  pgid: null,
  proc_start: null,
  queued_at: ctx.now,
  started_at: null,
  finished_at: spec.skip_reason !== undefined ? ctx.now : null,
  timeout_ms: spec.timeout_ms ?? DEFAULT_TIMEOUT_MS,
  retention_secs: spec.log?.retention_secs ?? null,
  sampling_every_nth: spec.log?.sampling_every_nth ?? null,
  max_log_bytes: spec.log?.max_bytes ?? null,
  log_bytes: 0,
  skip_reason: spec.skip_reason ?? null,
  error: null,
  input_key: spec.input_key ?? null,
  input_match: spec.input_match ?? null,
  ...firstAttemptFields(),
  ...(spec.retry !== undefined && { max_attempts: spec.retry.attempts, retry_backoff_ms: spec.retry.backoff_ms })
})

/** A stored job back into a spec, for Retry: the same command, cwd, env, tags and limits. */
export const specFromRow = (row: JobRow, needs: ReadonlyArray<string>): JobSpec => ({
  name: row.name,
  run: row.command,
  ...(row.cwd !== null ? { cwd: row.cwd } : {}),
  env: row.env,
  needs: [...needs],
  tags: row.tags,
  background: row.background,
  ...(row.timeout_ms !== null ? { timeout_ms: row.timeout_ms } : {}),
  log: {
    ...(row.retention_secs !== null ? { retention_secs: row.retention_secs } : {}),
    ...(row.max_log_bytes !== null ? { max_bytes: row.max_log_bytes } : {}),
    ...(row.sampling_every_nth !== null ? { sampling_every_nth: row.sampling_every_nth } : {})
  },
  // The re-run keeps the job's automatic retry.
  ...(row.max_attempts > 1 ? { retry: { attempts: row.max_attempts, backoff_ms: row.retry_backoff_ms ?? 0 } } : {})
})

export interface LiveFacts {
  readonly logBytes: number
}

export const toJobInfo = (
  repo: { readonly repoId: string; readonly root: string },
  row: JobRow | ListedJobRow,
  now: number,
  live?: LiveFacts
): JobInfo => ({
  repo_id: repo.repoId,
  repo_root: repo.root,
  invocation_id: row.invocation_id,
  name: row.name,
  hook: row.hook,
  worktree: row.worktree,
  command: row.command,
  cwd: row.cwd,
  status: row.status,
  exit_code: row.exit_code,
  signal: row.signal,
  pid: row.pid,
  tags: row.tags,
  needs: row.needs,
  background: row.background,
  queued_at: row.queued_at,
  started_at: row.started_at,
  finished_at: row.finished_at,
  duration_ms:
    row.started_at === null ? null : (row.finished_at ?? now) - row.started_at,
  log_bytes: live ? live.logBytes : row.log_bytes,
  skip_reason: row.skip_reason,
  error: row.error,
  input_key: row.input_key,
  input_match: row.input_match,
  attempt: row.attempt,
  max_attempts: row.max_attempts,
  retry_at: row.retry_at,
  ...(row.attempts.length > 0 ? { earlier_attempts: row.attempts } : {}),
  notified_at: row.notified_at
})
