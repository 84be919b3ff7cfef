// `hookctl show <job>`: everything recorded about one job, as `key  value` lines (or its JobInfo as JSON).
import type { JobInfo } from "../../protocol/types"
import type { Command } from "../cli"
import { expectKind } from "../connection"
import { EXIT_OK } from "../errors"
import { formatBytes, formatDuration, formatRelativeTime } from "../format"
import { attemptEndText, jobLabel, reasonText, worktreeText } from "../jobs-view"
import { out, outLines } from "../output"
import { terminalSafe } from "../../protocol/terminal-text"
import { withConnection } from "./connect"
import { withJobSuggestion } from "./job-lookup"

type ShowCommand = Extract<Command, { kind: "show" }>

const list = (items: ReadonlyArray<string>): string => (items.length === 0 ? "-" : items.join(", "))

/** `2026-12-01 23:51:47 (3m ago)`, or `-` for a time that did not happen. */
const when = (ms: number | null, now: number): string =>
  ms === null ? "-" : `${new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z")} (${formatRelativeTime(ms, now)})`

const exitLine = (job: JobInfo): string =>
  job.exit_code !== null ? String(job.exit_code) : job.signal !== null ? `killed by ${job.signal}` : "-"

/**
 * A job with `retry:`: which attempt the row is (`2 of 3`), when the next one starts while it
 * waits, and how each earlier attempt ended (every attempt's output is in `hookctl logs`).
 */
const attemptRows = (job: JobInfo, now: number): Array<[string, string]> => {
  const max = job.max_attempts ?? 1
  if (max <= 1) return []
  const rows: Array<[string, string]> = [["attempts", `${job.attempt ?? 1} of ${max}`]]
  if (job.status === "queued" && job.retry_at != null) {
    rows.push(["retry at", `${when(job.retry_at, now).replace(/ \(.*\)$/, "")} (in ${formatDuration(job.retry_at - now)})`])
  }
  for (const a of job.earlier_attempts ?? []) {
    rows.push([`attempt ${a.attempt}`, `${a.status}, ${attemptEndText(a)}, ended ${when(a.finished_at, now)}`])
  }
  return rows
}

/** The lines of `show` (pure; unit-tested). Environment variables appear by name only. */
export const showLines = (job: JobInfo, now: number, home: string | undefined): string[] => {
  const reason = reasonText(job)
  const waited = job.queued_at !== null && job.started_at !== null ? job.started_at - job.queued_at : null
  const rows: Array<[string, string]> = [
    ["job", jobLabel(job)],
    ["status", job.status + (reason === "" ? "" : ` (${reason})`)],
    ["exit", exitLine(job)],
    ["command", job.command],
    ["cwd", job.cwd ?? "."],
    ["hook", job.hook + (job.background ? " (background)" : "")],
    ["worktree", `${worktreeText(job, home)}  ${job.worktree}`],
    ["repository", job.repo_root],
    ["invocation", job.invocation_id],
    ["needs", list(job.needs)],
    ["tags", list(job.tags)],
    ["env", job.env_names === undefined ? "-" : `${job.env_names.length} variables: ${list(job.env_names)}`],
    ["queued", when(job.queued_at, now)],
    ["started", when(job.started_at, now) + (waited === null ? "" : `, after ${formatDuration(waited)} in the queue`)],
    ["finished", when(job.finished_at, now)],
    ["duration", formatDuration(job.duration_ms)],
    ["pid", job.pid === null ? "-" : String(job.pid)],
    ...attemptRows(job, now),
    ["log", `${job.log_path ?? "-"}  (${formatBytes(job.log_bytes)})`]
  ]
  return rows.map(([k, v]) => `${k.padEnd(11)}${terminalSafe(v)}`)
}

export const runShow = (cmd: ShowCommand) =>
  withConnection(async (c) =>
    withJobSuggestion(c, cmd.job, async () => {
      const { job } = expectKind(await c.request("GetJob", { job: cmd.job }), "Job")
      if (cmd.json) await out(JSON.stringify(job, null, 2) + "\n")
      else await outLines(showLines(job, Date.now(), process.env.HOME))
      return EXIT_OK
    })
  )
