// Every SQL statement the store runs, prepared once per connection. Values are always bound
// parameters; the only generated SQL text is column lists built from the constant JOB_VALUE_COLUMNS.
import { TERMINAL_STATUSES } from "../protocol/types"
import { JOB_VALUE_COLUMNS, type JobValueColumn } from "./codec"
import type { Connection, PreparedStatement } from "./connection"
import type { JobFilter } from "./rows"

const jobColumns = ["invocation_id", "name", ...JOB_VALUE_COLUMNS]

// Parameters are numbered (`?N`) and bound from arrays in the order noted; see codec.ts for why.
const LISTED_JOB_COLUMNS = ["invocation_id", "name", ...JOB_VALUE_COLUMNS.filter((c) => c !== "env_json"), "notified_at"]
  .map((c) => `j.${c}`)
  .join(", ")

/** The filter of listJobs: [worktree, hook, statuses (JSON array), tag, invocation prefix]; each "unset (NULL) or matches". */
const JOB_FILTER = `WHERE (?1 IS NULL OR j.worktree = ?1)
      AND (?2 IS NULL OR j.hook = ?2)
      AND (?3 IS NULL OR j.status IN (SELECT value FROM json_each(?3)))
      AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(j.tags_json) WHERE value = ?4))
      AND (?5 IS NULL OR substr(j.invocation_id, 1, length(?5)) = ?5)`

/** The terminal statuses as an SQL list of string literals (constants, never input). */
const TERMINAL_LIST = TERMINAL_STATUSES.map((status) => `'${status}'`).join(", ")

const SQL = {
  /** [repo_id, root, created_at] */
  upsertRepo: `INSERT INTO repo (repo_id, root, created_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (repo_id) DO UPDATE SET root = excluded.root WHERE excluded.root <> '' AND root <> excluded.root`,
  /** [repo_id] */
  getRepo: `SELECT repo_id, root, created_at FROM repo WHERE repo_id = ?1`,

  /** invocationParams */
  insertInvocation: `INSERT INTO invocations (invocation_id, hook, worktree, args_json, created_at, status, supervisor_pid)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
  /** [invocation_id, status] */
  setInvocationStatus: `UPDATE invocations SET status = ?2 WHERE invocation_id = ?1`,
  /** [invocation_id] */
  getInvocation: `SELECT * FROM invocations WHERE invocation_id = ?1`,
  /** [prefix] */
  invocationIdsByPrefix: `SELECT invocation_id FROM invocations
    WHERE substr(invocation_id, 1, length(?1)) = ?1 ORDER BY created_at DESC, rowid DESC`,
  allInvocations: `SELECT * FROM invocations ORDER BY created_at DESC, rowid DESC`,
  /** [invocation_id] */
  deleteInvocation: `DELETE FROM invocations WHERE invocation_id = ?1`,

  /** jobInsertParams: [invocation_id, name, ...JOB_VALUE_COLUMNS] */
  insertJob: `INSERT INTO jobs (${jobColumns.join(", ")}) VALUES (${jobColumns.map(() => "?").join(", ")})`,
  /** jobPatchParams. One statement for every patch shape: a set flag of 1 means "the patch carries this column". */
  patchJob: `UPDATE jobs SET ${JOB_VALUE_COLUMNS.map((c) => `${c} = CASE WHEN ? THEN ? ELSE ${c} END`)
    .join(",\n      ")} WHERE invocation_id = ? AND name = ?`,
  /** [invocation_id, name] */
  getJob: `SELECT * FROM jobs WHERE invocation_id = ?1 AND name = ?2`,
  /** [invocation_id] */
  jobsOfInvocation: `SELECT * FROM jobs WHERE invocation_id = ?1 ORDER BY rowid`,
  /** [invocation_id]: its waited (foreground) jobs, in declaration order. */
  waitedJobsOfInvocation: `SELECT * FROM jobs WHERE invocation_id = ?1 AND background = 0 ORDER BY rowid`,
  /** [invocation_id]: the distinct statuses of its jobs (the roll-up), no row decoded. */
  jobStatusesOfInvocation: `SELECT DISTINCT status FROM jobs WHERE invocation_id = ?1`,
  allJobs: `SELECT * FROM jobs ORDER BY rowid`,
  nonTerminalJobs: `SELECT * FROM jobs WHERE status IN ('queued', 'running', 'cancelling') ORDER BY rowid`,
  /** [name] */
  newestInvocationWithJob: `SELECT j.invocation_id FROM jobs j JOIN invocations i ON i.invocation_id = j.invocation_id
    WHERE j.name = ?1 ORDER BY i.created_at DESC, i.rowid DESC LIMIT 1`,
  /**
   * [worktree, name, statuses (JSON array)]: the newest row of that job in that worktree with one of
   * the statuses (the input cache's "last run"); jobs_by_worktree_name finds the candidates.
   */
  newestJobInWorktree: `SELECT j.* FROM jobs j JOIN invocations i ON i.invocation_id = j.invocation_id
    WHERE j.worktree = ?1 AND j.name = ?2 AND j.status IN (SELECT value FROM json_each(?3))
    ORDER BY i.created_at DESC, i.rowid DESC LIMIT 1`,
  /**
   * [worktree, hook, statuses (JSON array), tag, invocation prefix, limit (-1 = none),
   *  keyset created_at, keyset mode (1 before, 2 at or before, 3 within), keyset invocation rowid, keyset job rowid];
   * each filter is "unset (NULL) or matches"; the keyset (domain/list-page) resumes after a cursor.
   */
  // Every column but env_json (listings never show it; it is the whole hook environment). CROSS JOIN
  // keeps invocations as the outer loop, walked newest first by invocations_by_created — from the
  // keyset's created_at down, a range on the index — with each one's jobs in rowid order from
  // jobs_by_invocation: no sort of the whole table, and LIMIT stops early (measured 0.5 ms instead
  // of 9.8 ms for 50 of 1,000 jobs).
  listJobs: `SELECT ${LISTED_JOB_COLUMNS}, i.created_at AS invocation_created_at, i.rowid AS invocation_rowid, j.rowid AS job_rowid
    FROM invocations i CROSS JOIN jobs j ON j.invocation_id = i.invocation_id
    ${JOB_FILTER}
      AND i.created_at <= ?7
      AND (i.created_at < ?7 OR ?8 = 2 OR (?8 = 3 AND (i.rowid < ?9 OR (i.rowid = ?9 AND j.rowid > ?10))))
    ORDER BY i.created_at DESC, i.rowid DESC, j.rowid ASC
    LIMIT ?6`,
  /**
   * listJobs' parameters, with the background failures no hook run has reported yet (notified_at
   * NULL) first — `hookctl ls --failed`, whose status filter keeps the rows few, so the sort is cheap.
   */
  // Same parameters as listJobs (the keyset too, though ListJobs never pages this order).
  listJobsUnnoticedFirst: `SELECT ${LISTED_JOB_COLUMNS}, i.created_at AS invocation_created_at, i.rowid AS invocation_rowid, j.rowid AS job_rowid
    FROM invocations i CROSS JOIN jobs j ON j.invocation_id = i.invocation_id
    ${JOB_FILTER}
      AND i.created_at <= ?7
      AND (i.created_at < ?7 OR ?8 = 2 OR (?8 = 3 AND (i.rowid < ?9 OR (i.rowid = ?9 AND j.rowid > ?10))))
    ORDER BY (j.background = 1 AND j.notified_at IS NULL) DESC, i.created_at DESC, i.rowid DESC, j.rowid ASC
    LIMIT ?6`,

  /**
   * [after created_at, after rowid, limit]: retention's per-invocation aggregates (domain/retention's
   * InvocationSummary), oldest first after the keyset cursor — the batch of invocations is picked on
   * invocations_by_created, then only its jobs are read (by jobs_by_invocation), and no job row
   * leaves SQLite. A status this build does not know counts as active, as in domain/status.
   */
  invocationSummaries: `WITH batch AS (
      SELECT rowid AS rid, invocation_id, worktree, created_at FROM invocations
      WHERE (created_at, rowid) > (?1, ?2)
      ORDER BY created_at, rowid LIMIT ?3)
    SELECT b.rid, b.invocation_id, b.worktree, b.created_at,
      count(j.name) AS jobs,
      coalesce(sum(j.log_bytes), 0) AS bytes,
      coalesce(max(j.status NOT IN (${TERMINAL_LIST})), 0) AS active,
      max(CASE WHEN j.name IS NOT NULL AND j.retention_secs IS NULL THEN coalesce(j.finished_at, b.created_at) END) AS ended_at_default,
      max(CASE WHEN j.retention_secs IS NOT NULL THEN coalesce(j.finished_at, b.created_at) + j.retention_secs * 1000 END) AS expires_at_own,
      max(b.created_at, coalesce(max(coalesce(j.finished_at, b.created_at)), b.created_at)) AS last_ended_at
    FROM batch b LEFT JOIN jobs j ON j.invocation_id = b.invocation_id
    GROUP BY b.rid
    ORDER BY b.created_at, b.rid`,
  /** [invocation ids (JSON array)]: those that have rows. */
  existingInvocations: `SELECT invocation_id FROM invocations WHERE invocation_id IN (SELECT value FROM json_each(?1))`,

  /** Background failures nobody was told about yet, oldest first (uses jobs_pending_notices). */
  pendingNotices: `SELECT invocation_id, name, hook, status, exit_code, signal, finished_at FROM jobs
    WHERE notified_at IS NULL AND background = 1 AND status IN ('failed', 'timed_out', 'crashed')
    ORDER BY finished_at, rowid`,
  /** [invocation_id, name, notified_at] */
  markNotified: `UPDATE jobs SET notified_at = ?3 WHERE invocation_id = ?1 AND name = ?2`,

  getPolicy: `SELECT * FROM repo_policy WHERE id = 1`,
  /** [retention_secs, keep_last, max_total_bytes, stale_running_after_secs, updated_at] */
  putPolicy: `INSERT INTO repo_policy (id, retention_secs, keep_last, max_total_bytes, stale_running_after_secs, updated_at)
    VALUES (1, ?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (id) DO UPDATE SET retention_secs = excluded.retention_secs, keep_last = excluded.keep_last,
      max_total_bytes = excluded.max_total_bytes, stale_running_after_secs = excluded.stale_running_after_secs,
      updated_at = excluded.updated_at`
} as const

/**
 * How many jobs match `filter` (what `ls` reports beyond its limit). Only the filters that are set
 * appear in the SQL, so SQLite counts on the smallest index that answers it (all jobs: a walk of
 * jobs_by_status) instead of reading every row with its environment — 50,000 jobs are ~100 MB of
 * table but ~1 MB of index. `key` names the shape: one prepared statement per shape.
 */
export const countJobsQuery = (filter: JobFilter): { key: string; sql: string; params: string[] } => {
  const terms: Array<[string | undefined, (n: number) => string]> = [
    [filter.worktree, (n) => `worktree = ?${n}`],
    [filter.hook, (n) => `hook = ?${n}`],
    [filter.statuses && filter.statuses.length > 0 ? JSON.stringify(filter.statuses) : undefined, (n) => `status IN (SELECT value FROM json_each(?${n}))`],
    [filter.tag, (n) => `EXISTS (SELECT 1 FROM json_each(tags_json) WHERE value = ?${n})`],
    [filter.invocation_prefix, (n) => `substr(invocation_id, 1, length(?${n})) = ?${n}`]
  ]
  const set = terms.filter(([value]) => value !== undefined)
  const where = set.map(([, term], i) => term(i + 1)).join(" AND ")
  return {
    key: terms.map(([value]) => (value === undefined ? "-" : "+")).join(""),
    sql: `SELECT count(*) AS total FROM jobs${where !== "" ? ` WHERE ${where}` : ""}`,
    params: set.map(([value]) => value!)
  }
}

export type Statements = { readonly [K in keyof typeof SQL]: PreparedStatement }

/** Every statement of `connection` (prepared on first use; finalized when the connection closes). */
/**
 * An UPDATE of only the columns a patch sets ([...their values, invocation_id, name]): a job's
 * transition binds a handful of values instead of two per column (the generic patchJob's 64).
 */
export const patchJobColumns = (columns: ReadonlyArray<JobValueColumn>): string =>
  `UPDATE jobs SET ${columns.map((c, i) => `${c} = ?${i + 1}`).join(", ")} WHERE invocation_id = ?${columns.length + 1} AND name = ?${columns.length + 2}`

export const prepareStatements = (connection: Connection): Statements => {
  const prepared: Partial<Record<keyof typeof SQL, PreparedStatement>> = {}
  for (const key of Object.keys(SQL) as Array<keyof typeof SQL>) prepared[key] = connection.prepare(SQL[key])
  return prepared as Statements
}
