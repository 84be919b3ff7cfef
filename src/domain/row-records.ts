// The log records a job's row stands for (issue 13, lazy job log). A job that never wrote output
// has no output.jsonl: its `started` and terminal records are not on disk, and every reader (tail,
// follow, logs, reconcile) makes them from the row instead. The writer keeps a job's records in
// memory and creates the file only when they differ from what this function makes of its final
// row (output, an `attempt_failed`, a message the row does not hold) — so what a reader shows is
// the same with or without the file. Pure: no I/O.
import type { JobStatus, LogRecord, StatusEvent } from "../protocol/types"

/** The part of a job row the records are made from; store rows fit structurally. */
export interface RowLogFacts {
  readonly status: JobStatus
  readonly pid: number | null
  readonly started_at: number | null
  readonly finished_at: number | null
  readonly exit_code: number | null
  readonly signal: string | null
  readonly error: string | null
  readonly skip_reason: string | null
}

const CANCELLED_BY = /^cancelled by (.*?)(?:; kill failed: .*)?$/s
const SUPERSEDED_BY = /^superseded by (.*?)(?:; kill failed: .*)?$/s
const TIMED_OUT_AFTER = /^timed out after (\d+) ms$/

/** The terminal event a final row says the job ended with; undefined when the row cannot tell. */
export const terminalEventOfRow = (row: RowLogFacts): StatusEvent | undefined => {
  switch (row.status) {
    case "skipped":
      return row.skip_reason !== null ? { event: "skipped", reason: row.skip_reason } : undefined
    case "completed":
    case "failed":
      if (row.signal !== null) return { event: "signaled", signal: row.signal }
      if (row.exit_code !== null) return { event: "finished", exit_code: row.exit_code }
      return row.status === "failed" && row.error !== null ? { event: "crashed", message: row.error } : undefined
    case "crashed":
      return row.error !== null ? { event: "crashed", message: row.error } : undefined
    case "timed_out": {
      const after = row.error === null ? null : TIMED_OUT_AFTER.exec(row.error)
      return after ? { event: "timed_out", after_ms: Number(after[1]) } : undefined
    }
    case "cancelled": {
      if (row.error === null) return undefined
      const superseded = SUPERSEDED_BY.exec(row.error)
      if (superseded) return { event: "cancelled", by: "superseded", superseded_by: superseded[1]! }
      const by = CANCELLED_BY.exec(row.error)
      if (by) return { event: "cancelled", by: by[1]! }
      // reconcile's "supervisor restarted" (a queued job that never ran).
      return { event: "cancelled", by: row.error }
    }
    default:
      return undefined
  }
}

/**
 * The records of a job that has no log file: `started` (when it was spawned) and the terminal
 * record (when the row is final), seq 0 and 1, stamped with the row's own times.
 */
export const recordsOfRow = (row: RowLogFacts): LogRecord[] => {
  const records: LogRecord[] = []
  if (row.started_at !== null && row.pid !== null) {
    records.push({ seq: 0, ts: row.started_at, kind: "status", data: { event: "started", pid: row.pid } })
  }
  const terminal = terminalEventOfRow(row)
  if (terminal !== undefined && row.finished_at !== null) {
    records.push({ seq: records.length, ts: row.finished_at, kind: "status", data: terminal })
  }
  return records
}
