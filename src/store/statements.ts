// Every SQL statement the store runs, prepared once per connection. Values are always bound
// parameters; the only generated SQL text is column lists built from the constant JOB_VALUE_COLUMNS.
import { JOB_VALUE_COLUMNS } from "./codec"
import type { Connection, PreparedStatement } from "./connection"

const jobColumns = ["invocation_id", "name", ...JOB_VALUE_COLUMNS]

// Parameters are numbered (`?N`) and bound from arrays in the order noted; see codec.ts for why.
const LISTED_JOB_COLUMNS = ["invocation_id", "name", ...JOB_VALUE_COLUMNS.filter((c) => c !== "env_json"), "notified_at"]
  .map((c) => `j.${c}`)
  .join(", ")

/** The filter of listJobs and countJobs: [worktree, hook, statuses (JSON array), tag, invocation prefix]; each "unset (NULL) or matches". */
const JOB_FILTER = `WHERE (?1 IS NULL OR j.worktree = ?1)
      AND (?2 IS NULL OR j.hook = ?2)
      AND (?3 IS NULL OR j.status IN (SELECT value FROM json_each(?3)))
      AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(j.tags_json) WHERE value = ?4))
      AND (?5 IS NULL OR substr(j.invocation_id, 1, length(?5)) = ?5)`

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
   * [worktree, hook, statuses (JSON array), tag, invocation prefix, limit (-1 = none)];
   * each filter is "unset (NULL) or matches".
   */
  // Every column but env_json (listings never show it; it is the whole hook environment). CROSS JOIN
  // keeps invocations as the outer loop, walked newest first by invocations_by_created, with each
  // one's jobs in rowid order from jobs_by_invocation: no sort of the whole table, and LIMIT stops
  // early (measured 0.5 ms instead of 9.8 ms for 50 of 1,000 jobs).
  listJobs: `SELECT ${LISTED_JOB_COLUMNS}, i.created_at AS invocation_created_at
    FROM invocations i CROSS JOIN jobs j ON j.invocation_id = i.invocation_id
    ${JOB_FILTER}
    ORDER BY i.created_at DESC, i.rowid DESC, j.rowid ASC
    LIMIT ?6`,
  /**
   * listJobs' parameters, with the background failures no hook run has reported yet (notified_at
   * NULL) first — `hookctl ls --failed`, whose status filter keeps the rows few, so the sort is cheap.
   */
  listJobsUnnoticedFirst: `SELECT ${LISTED_JOB_COLUMNS}, i.created_at AS invocation_created_at
    FROM invocations i CROSS JOIN jobs j ON j.invocation_id = i.invocation_id
    ${JOB_FILTER}
    ORDER BY (j.background = 1 AND j.notified_at IS NULL) DESC, i.created_at DESC, i.rowid DESC, j.rowid ASC
    LIMIT ?6`,
  /** The same filter's match count (what `ls` reports beyond its limit): [worktree, hook, statuses, tag, prefix]. */
  countJobs: `SELECT count(*) AS total FROM jobs j
    ${JOB_FILTER}`,

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

export type Statements = { readonly [K in keyof typeof SQL]: PreparedStatement }

/** Prepare every statement on `connection` (which finalizes them when it closes). */
export const prepareStatements = (connection: Connection): Statements => {
  const prepared: Partial<Record<keyof typeof SQL, PreparedStatement>> = {}
  for (const key of Object.keys(SQL) as Array<keyof typeof SQL>) prepared[key] = connection.prepare(SQL[key])
  return prepared as Statements
}
