// `hookctl ls --format …` for scripts and documents: the same JobInfo rows as --json, in JSON, NDJSON,
// TSV, CSV (RFC 4180), a GFM markdown table or YAML. The human table lives in jobs-view.ts.
import type { JobInfo } from "../protocol/types"
import { terminalSafe } from "../protocol/terminal-text"
import { loadYaml } from "./yaml-module"

export const LIST_FORMATS = ["table", "json", "ndjson", "tsv", "csv", "markdown", "yaml"] as const
export type ListFormat = (typeof LIST_FORMATS)[number]

/**
 * JobInfo's fields in SPEC §2 order: the header and column order of tsv, csv and markdown (a retried
 * job's `earlier_attempts` list is in the JSON formats only).
 */
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
  "input_match",
  "attempt",
  "max_attempts",
  "retry_at",
  "notified_at"
]

/** A field as one text cell: null is empty, lists are comma-joined (tags and needs never contain commas). */
export const cellText = (value: unknown): string =>
  value === null || value === undefined
    ? ""
    : Array.isArray(value)
      ? value.join(",")
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value)

/** Backslashes doubled, then tabs, newlines and every other control character as visible escapes (`\t`, `\n`, `\e`). */
const tsvCell = (value: unknown): string => terminalSafe(cellText(value).replace(/\\/g, "\\\\"))

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled; records end with CRLF. */
const csvCell = (value: unknown): string => {
  const text = cellText(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** GFM: `\` and `|` escaped, line breaks as <br> (a table cell is one line), other control characters as visible escapes. */
const markdownCell = (value: unknown): string =>
  terminalSafe(cellText(value).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>"))

const row = (job: JobInfo, cell: (v: unknown) => string): string[] => JOB_INFO_FIELDS.map((f) => cell(job[f]))

/** The text to print for a machine format (ends with a newline unless empty). */
export const renderMachineFormat = async (jobs: ReadonlyArray<JobInfo>, format: Exclude<ListFormat, "table">): Promise<string> => {
  switch (format) {
    case "json":
      return JSON.stringify(jobs, null, 2) + "\n"
    case "ndjson":
      return jobs.map((job) => JSON.stringify(job) + "\n").join("")
    case "tsv":
      return [JOB_INFO_FIELDS.join("\t"), ...jobs.map((job) => row(job, tsvCell).join("\t"))].join("\n") + "\n"
    case "csv":
      return [JOB_INFO_FIELDS.join(","), ...jobs.map((job) => row(job, csvCell).join(","))].map((l) => l + "\r\n").join("")
    case "markdown":
      return (
        [
          `| ${JOB_INFO_FIELDS.join(" | ")} |`,
          `|${JOB_INFO_FIELDS.map(() => " --- |").join("")}`,
          ...jobs.map((job) => `| ${row(job, markdownCell).join(" | ")} |`)
        ].join("\n") + "\n"
      )
    case "yaml": {
      const { stringify } = loadYaml()
      return jobs.length === 0 ? "[]\n" : stringify(jobs)
    }
  }
}
