// Rows ↔ SQLite values: JSON columns, 0/1 booleans, and integers that the driver may hand back as
// bigint. Pure functions, no I/O.
import type { QueryResult } from "node-sqlite3-wasm"
import type { InvocationSummary } from "../domain/retention"
import { toJobStatus } from "../domain/status"
import type { EarlierAttemptRow, FailureNoticeRow, InvocationRow, JobPatch, JobRow, ListedJobRow, RepoPolicyRow, RepoRow } from "./rows"
import { scrubArgs, scrubEnv } from "./scrub"

type Raw = Record<string, unknown>
type Bindable = string | number | null

const num = (value: unknown): number => (typeof value === "bigint" ? Number(value) : Number(value ?? 0))
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : num(value))
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value))
const json = <A>(value: unknown, fallback: A): A => (typeof value === "string" ? (JSON.parse(value) as A) : fallback)

/** Every jobs column except the key, in table order: what a patch may set. */
export const JOB_VALUE_COLUMNS = [
  "hook", "worktree", "command", "cwd", "env_json", "needs_json", "tags_json", "background", "status",
  "exit_code", "signal", "pid", "pgid", "proc_start", "queued_at", "started_at", "finished_at", "timeout_ms",
  "retention_secs", "sampling_every_nth", "max_log_bytes", "log_bytes", "skip_reason", "error",
  "input_key", "input_match", "attempt", "max_attempts", "retry_backoff_ms", "retry_at", "attempts_json"
] as const
export type JobValueColumn = (typeof JOB_VALUE_COLUMNS)[number]

/**
 * env_json by env object: the jobs of one invocation share theirs (jobs/rows.ts), and scrubbing a
 * hook's whole environment — a few regular expressions per variable — once per job was most of
 * the cost of inserting a large invocation (issue 13).
 */
const envJson = new WeakMap<object, string>()
const envJsonOf = (env: Readonly<Record<string, string>>): string => {
  let json = envJson.get(env)
  if (json === undefined) envJson.set(env, (json = JSON.stringify(scrubEnv(env))))
  return json
}

/** A JobRow field's column value: the JSON fields are serialized (env scrubbed), booleans become 0/1. */
const jobColumnValue = (column: JobValueColumn, row: JobPatch): Bindable => {
  switch (column) {
    case "env_json":
      return row.env === undefined ? "{}" : envJsonOf(row.env)
    case "needs_json":
      return JSON.stringify(row.needs ?? [])
    case "tags_json":
      return JSON.stringify(row.tags ?? [])
    case "attempts_json":
      return row.attempts === undefined || row.attempts.length === 0 ? null : JSON.stringify(row.attempts)
    case "attempt":
    case "max_attempts":
      return row[column] ?? 1
    case "background":
      return row.background ? 1 : 0
    default:
      return (row[column] ?? null) as Bindable
  }
}

/** The JobRow field a column is written from. */
const fieldOf = (column: JobValueColumn): keyof JobPatch =>
  column === "env_json" ? "env" : column === "needs_json" ? "needs" : column === "tags_json" ? "tags" : column === "attempts_json" ? "attempts" : column

// Parameters are positional: node-sqlite3-wasm looks every named parameter up through WASM, which
// made a 26-column insert ~7x slower than positional binding (measured 113 vs 17 µs). The orders
// below match statements.ts.

/** [invocation_id, name, ...JOB_VALUE_COLUMNS] */
export const jobInsertParams = (job: JobRow): Bindable[] => [
  job.invocation_id,
  job.name,
  ...JOB_VALUE_COLUMNS.map((column) => jobColumnValue(column, job))
]

/** [set_0, value_0, set_1, value_1, …, invocation_id, name]; set_i = 1 when the patch carries column i. */
export const jobPatchParams = (invocationId: string, name: string, patch: JobPatch): Bindable[] => {
  const params: Bindable[] = []
  for (const column of JOB_VALUE_COLUMNS) {
    const present = patch[fieldOf(column)] !== undefined
    params.push(present ? 1 : 0, present ? jobColumnValue(column, patch) : null)
  }
  params.push(invocationId, name)
  return params
}

/** The columns a patch sets, in table order: the shape of its UPDATE (statements.ts patchJobColumns). */
export const jobPatchColumns = (patch: JobPatch): JobValueColumn[] =>
  JOB_VALUE_COLUMNS.filter((column) => patch[fieldOf(column)] !== undefined)

/** [...the values of `columns`, invocation_id, name]: the parameters of patchJobColumns(columns). */
export const jobPatchColumnParams = (columns: ReadonlyArray<JobValueColumn>, invocationId: string, name: string, patch: JobPatch): Bindable[] => {
  const params: Bindable[] = columns.map((column) => jobColumnValue(column, patch))
  params.push(invocationId, name)
  return params
}

/** [invocation_id, hook, worktree, args_json, created_at, status, supervisor_pid] */
export const invocationParams = (inv: InvocationRow): Bindable[] => [
  inv.invocation_id,
  inv.hook,
  inv.worktree,
  JSON.stringify(scrubArgs(inv.args)),
  inv.created_at,
  inv.status,
  inv.supervisor_pid
]

export const decodeInvocation = (raw: QueryResult | Raw): InvocationRow => {
  const r = raw as Raw
  return {
    invocation_id: String(r.invocation_id),
    hook: String(r.hook),
    worktree: String(r.worktree),
    args: json<string[]>(r.args_json, []),
    created_at: num(r.created_at),
    status: String(r.status),
    supervisor_pid: num(r.supervisor_pid)
  }
}

export const decodeJob = (raw: QueryResult | Raw): JobRow => {
  const r = raw as Raw
  return {
    invocation_id: String(r.invocation_id),
    name: String(r.name),
    hook: String(r.hook),
    worktree: String(r.worktree),
    command: String(r.command),
    cwd: strOrNull(r.cwd),
    env: json<Record<string, string>>(r.env_json, {}),
    needs: json<string[]>(r.needs_json, []),
    tags: json<string[]>(r.tags_json, []),
    background: num(r.background) !== 0,
    status: toJobStatus(String(r.status)),
    exit_code: numOrNull(r.exit_code),
    signal: strOrNull(r.signal),
    pid: numOrNull(r.pid),
    pgid: numOrNull(r.pgid),
    proc_start: strOrNull(r.proc_start),
    queued_at: numOrNull(r.queued_at),
    started_at: numOrNull(r.started_at),
    finished_at: numOrNull(r.finished_at),
    timeout_ms: numOrNull(r.timeout_ms),
    retention_secs: numOrNull(r.retention_secs),
    sampling_every_nth: numOrNull(r.sampling_every_nth),
    max_log_bytes: numOrNull(r.max_log_bytes),
    log_bytes: num(r.log_bytes),
    skip_reason: strOrNull(r.skip_reason),
    error: strOrNull(r.error),
    input_key: strOrNull(r.input_key),
    input_match: strOrNull(r.input_match),
    attempt: r.attempt === undefined || r.attempt === null ? 1 : num(r.attempt),
    max_attempts: r.max_attempts === undefined || r.max_attempts === null ? 1 : num(r.max_attempts),
    retry_backoff_ms: numOrNull(r.retry_backoff_ms),
    retry_at: numOrNull(r.retry_at),
    attempts: json<EarlierAttemptRow[]>(r.attempts_json, []),
    notified_at: numOrNull(r.notified_at)
  }
}

export const decodeListedJob = (raw: QueryResult | Raw): ListedJobRow => {
  const { env: _none, ...job } = decodeJob(raw)
  const r = raw as Raw
  return { ...job, invocation_created_at: num(r.invocation_created_at), invocation_rowid: num(r.invocation_rowid), job_rowid: num(r.job_rowid) }
}

export const decodeInvocationSummary = (raw: QueryResult | Raw): InvocationSummary => {
  const r = raw as Raw
  const orNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
  return {
    invocation_id: String(r.invocation_id),
    worktree: String(r.worktree),
    created_at: Number(r.created_at),
    jobs: Number(r.jobs),
    bytes: Number(r.bytes),
    active: Number(r.active) !== 0,
    ended_at_default: orNull(r.ended_at_default),
    expires_at_own: orNull(r.expires_at_own),
    last_ended_at: Number(r.last_ended_at)
  }
}

export const decodePolicy = (raw: QueryResult | Raw): RepoPolicyRow => {
  const r = raw as Raw
  return {
    retention_secs: num(r.retention_secs),
    keep_last: num(r.keep_last),
    max_total_bytes: num(r.max_total_bytes),
    stale_running_after_secs: num(r.stale_running_after_secs),
    updated_at: num(r.updated_at)
  }
}

export const decodeRepo = (raw: QueryResult | Raw): RepoRow => {
  const r = raw as Raw
  return { repo_id: String(r.repo_id), root: String(r.root), created_at: num(r.created_at) }
}

export const decodeFailureNotice = (raw: QueryResult | Raw): FailureNoticeRow => {
  const r = raw as Raw
  return {
    invocation_id: String(r.invocation_id),
    name: String(r.name),
    hook: String(r.hook),
    status: String(r.status),
    exit_code: numOrNull(r.exit_code),
    signal: strOrNull(r.signal),
    finished_at: numOrNull(r.finished_at)
  }
}
