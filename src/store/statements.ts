// Every SQL statement the store runs, prepared once per connection. Values are always bound
// parameters; the only generated SQL text is column lists built from the constant JOB_VALUE_COLUMNS.
import type { Statement } from "node-sqlite3-wasm"
import { JOB_VALUE_COLUMNS } from "./codec"
import type { Connection } from "./connection"

const jobColumns = ["invocation_id", "name", ...JOB_VALUE_COLUMNS]

const SQL = {
  upsertRepo: `INSERT INTO repo (repo_id, root, created_at) VALUES ($repo_id, $root, $created_at)
    ON CONFLICT (repo_id) DO UPDATE SET root = excluded.root WHERE root <> excluded.root`,
  getRepo: `SELECT repo_id, root, created_at FROM repo WHERE repo_id = $repo_id`,

  insertInvocation: `INSERT INTO invocations (invocation_id, hook, worktree, args_json, created_at, status, supervisor_pid)
    VALUES ($invocation_id, $hook, $worktree, $args_json, $created_at, $status, $supervisor_pid)`,
  setInvocationStatus: `UPDATE invocations SET status = $status WHERE invocation_id = $invocation_id`,
  getInvocation: `SELECT * FROM invocations WHERE invocation_id = $invocation_id`,
  invocationIdsByPrefix: `SELECT invocation_id FROM invocations
    WHERE substr(invocation_id, 1, length($prefix)) = $prefix ORDER BY created_at DESC, rowid DESC`,
  allInvocations: `SELECT * FROM invocations ORDER BY created_at DESC, rowid DESC`,
  deleteInvocation: `DELETE FROM invocations WHERE invocation_id = $invocation_id`,

  insertJob: `INSERT INTO jobs (${jobColumns.join(", ")}) VALUES (${jobColumns.map((c) => `$${c}`).join(", ")})`,
  // One statement for every patch shape: `$set_<col>` = 1 means "the patch carries this column".
  patchJob: `UPDATE jobs SET ${JOB_VALUE_COLUMNS.map((c) => `${c} = CASE WHEN $set_${c} THEN $${c} ELSE ${c} END`)
    .join(",\n      ")} WHERE invocation_id = $invocation_id AND name = $name`,
  getJob: `SELECT * FROM jobs WHERE invocation_id = $invocation_id AND name = $name`,
  jobsOfInvocation: `SELECT * FROM jobs WHERE invocation_id = $invocation_id ORDER BY rowid`,
  allJobs: `SELECT * FROM jobs ORDER BY rowid`,
  nonTerminalJobs: `SELECT * FROM jobs WHERE status IN ('queued', 'running', 'cancelling') ORDER BY rowid`,
  newestInvocationWithJob: `SELECT j.invocation_id FROM jobs j JOIN invocations i ON i.invocation_id = j.invocation_id
    WHERE j.name = $name ORDER BY i.created_at DESC, i.rowid DESC LIMIT 1`,
  // Each filter is "unset (NULL) or matches"; statuses arrive as a JSON array.
  listJobs: `SELECT j.*, i.created_at AS invocation_created_at
    FROM jobs j JOIN invocations i ON i.invocation_id = j.invocation_id
    WHERE ($worktree IS NULL OR j.worktree = $worktree)
      AND ($hook IS NULL OR j.hook = $hook)
      AND ($statuses IS NULL OR j.status IN (SELECT value FROM json_each($statuses)))
      AND ($tag IS NULL OR EXISTS (SELECT 1 FROM json_each(j.tags_json) WHERE value = $tag))
      AND ($prefix IS NULL OR substr(j.invocation_id, 1, length($prefix)) = $prefix)
    ORDER BY i.created_at DESC, i.rowid DESC, j.rowid ASC
    LIMIT $limit`,

  getPolicy: `SELECT * FROM repo_policy WHERE id = 1`,
  putPolicy: `INSERT INTO repo_policy (id, retention_secs, keep_last, max_total_bytes, stale_running_after_secs, updated_at)
    VALUES (1, $retention_secs, $keep_last, $max_total_bytes, $stale_running_after_secs, $updated_at)
    ON CONFLICT (id) DO UPDATE SET retention_secs = excluded.retention_secs, keep_last = excluded.keep_last,
      max_total_bytes = excluded.max_total_bytes, stale_running_after_secs = excluded.stale_running_after_secs,
      updated_at = excluded.updated_at`
} as const

export type Statements = { readonly [K in keyof typeof SQL]: Statement }

/** Prepare every statement on `connection` (which finalizes them when it closes). */
export const prepareStatements = (connection: Connection): Statements => {
  const prepared: Partial<Record<keyof typeof SQL, Statement>> = {}
  for (const key of Object.keys(SQL) as Array<keyof typeof SQL>) prepared[key] = connection.prepare(SQL[key])
  return prepared as Statements
}
