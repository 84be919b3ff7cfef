// How `hookctl ls` shows JobInfo lists: a fitted table, or JSON / NDJSON / TSV for scripts.
import type { JobInfo } from "../protocol/types"
import {
  formatBytes,
  formatDuration,
  formatRelativeTime,
  shortenHome,
  statusColour,
  statusLabel
} from "./format"
import { renderTable, type Cell, type Column } from "./table"
import { terminalSafe } from "./terminal-text"

export type ListFormat = "table" | "json" | "ndjson" | "tsv"

/** JobInfo's fields in SPEC §2 order: the TSV header and column order. */
export const JOB_INFO_FIELDS: ReadonlyArray<keyof JobInfo> = [
  "repo_id",
  "repo_root",
  "invocation_id",
  "name",
  "hook",
  "worktree",
  "command",
  "cwd",
  "status",
  "exit_code",
  "signal",
  "pid",
  "tags",
  "needs",
  "background",
  "queued_at",
  "started_at",
  "finished_at",
  "duration_ms",
  "log_bytes",
  "skip_reason",
  "error",
  "input_key",
  "input_match"
]

/** The address a user can paste into `logs`/`cancel`/`retry`: `<first 8 of invocation>:<name>`. */
export const jobLabel = (job: Pick<JobInfo, "invocation_id" | "name">): string =>
  `${job.invocation_id.slice(0, 8)}:${job.name}`

/** A running job's duration grows until it finishes. */
const liveDuration = (job: JobInfo, now: number): number | null =>
  job.duration_ms ?? (job.started_at !== null && job.finished_at === null ? now - job.started_at : null)

const exitText = (job: JobInfo): string =>
  job.exit_code !== null ? String(job.exit_code) : job.signal !== null ? job.signal : "-"

const COLUMNS: ReadonlyArray<Column> = [
  { header: "JOB", priority: 10, minWidth: 14 },
  { header: "STATUS", priority: 9 },
  { header: "HOOK", priority: 5, minWidth: 8 },
  { header: "WORKTREE", priority: 4, minWidth: 10, keep: "end" },
  { header: "STARTED", priority: 7 },
  { header: "DURATION", priority: 6, align: "right" },
  { header: "EXIT", priority: 3, align: "right" },
  { header: "LOG", priority: 2, align: "right" }
]

export interface TableContext {
  readonly now: number
  readonly width: number
  readonly colour: boolean
  readonly home: string | undefined
}

export const jobRow = (job: JobInfo, ctx: TableContext): Cell[] => [
  { text: jobLabel(job) },
  { text: statusLabel(job.status, job.error), colour: statusColour(job.status) },
  { text: job.hook },
  { text: shortenHome(job.worktree, ctx.home) },
  { text: formatRelativeTime(job.started_at ?? job.queued_at, ctx.now) },
  { text: formatDuration(liveDuration(job, ctx.now)) },
  { text: exitText(job), colour: job.exit_code !== null && job.exit_code !== 0 ? "red" : undefined },
  { text: formatBytes(job.log_bytes) }
]

export const jobsTable = (jobs: ReadonlyArray<JobInfo>, ctx: TableContext): string[] =>
  renderTable(COLUMNS, jobs.map((job) => jobRow(job, ctx)), ctx.width, ctx.colour)

/** One TSV cell: null is empty, lists are comma-joined, backslashes doubled, control characters escaped. */
const tsvCell = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  const text = Array.isArray(value) ? value.join(",") : typeof value === "object" ? JSON.stringify(value) : String(value)
  return terminalSafe(text.replace(/\\/g, "\\\\"))
}

/** The lines to print for `ls` in the given format (no trailing newline on each). */
export const renderJobs = (jobs: ReadonlyArray<JobInfo>, format: ListFormat, ctx: TableContext): string[] => {
  switch (format) {
    case "json":
      return [JSON.stringify(jobs, null, 2)]
    case "ndjson":
      return jobs.map((job) => JSON.stringify(job))
    case "tsv":
      return [
        JOB_INFO_FIELDS.join("\t"),
        ...jobs.map((job) => JOB_INFO_FIELDS.map((f) => tsvCell(job[f])).join("\t"))
      ]
    case "table":
      return jobs.length === 0 ? ["no jobs"] : jobsTable(jobs, ctx)
  }
}
