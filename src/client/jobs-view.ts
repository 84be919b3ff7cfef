// How `hookctl ls` shows jobs to a person: a table fitted to the terminal. The JOB column (the address
// you type next) is never cut; the others shrink, then drop, in COLUMN priority order (docs/cli.md).
// Script formats (json, csv, yaml, …) are in list-formats.ts.
import { basename, dirname, relative } from "node:path"
import type { JobInfo } from "../protocol/types"
import { formatBytes, formatDuration, formatRelativeTime, shortenHome, statusColour, statusLabel } from "./format"
import { renderTable, type Cell, type Column } from "./table"

/** The address a user can paste into `logs`/`cancel`/`retry`: `<first 8 of invocation>:<name>`. */
export const jobLabel = (job: Pick<JobInfo, "invocation_id" | "name">): string =>
  `${job.invocation_id.slice(0, 8)}:${job.name}`

/** A running job's duration grows until it finishes. */
const liveDuration = (job: JobInfo, now: number): number | null =>
  job.duration_ms ?? (job.started_at !== null && job.finished_at === null ? now - job.started_at : null)

const exitText = (job: JobInfo): string =>
  job.exit_code !== null ? String(job.exit_code) : job.signal !== null ? job.signal : "-"

/** `exit 1`, `killed by SIGKILL`, or the error: how an earlier attempt of a retried job ended. */
export const attemptEndText = (a: NonNullable<JobInfo["earlier_attempts"]>[number]): string =>
  a.error ?? (a.signal !== null ? `killed by ${a.signal}` : a.exit_code !== null ? `exit ${a.exit_code}` : a.status)

/**
 * Why a job ended the way it did, when its status alone does not say: skip reason, error, signal;
 * for a job waiting to be retried, how the attempt before ended.
 */
export const reasonText = (job: JobInfo): string => {
  const previous = job.earlier_attempts?.at(-1)
  if (job.status === "queued" && job.retry_at != null && previous !== undefined) {
    return `attempt ${previous.attempt} failed: ${attemptEndText(previous)}`
  }
  return job.skip_reason ?? job.error ?? (job.signal !== null ? `killed by ${job.signal}` : "")
}

/** The worktree as a path relative to the repo's main worktree: `.` for the main one, `../wt` for a linked one. */
export const worktreeText = (job: Pick<JobInfo, "worktree" | "repo_root">, home: string | undefined): string => {
  if (job.worktree === job.repo_root) return "."
  const rel = relative(job.repo_root, job.worktree)
  // Far away (another tree entirely): the absolute path reads better than ../../../..
  return rel.split("/").filter((p) => p === "..").length > 2 ? shortenHome(job.worktree, home) : rel
}

/**
 * A short name per repository root: its directory name, lengthened with parent directories
 * (`work/web`, `play/web`) only where two roots would otherwise read the same.
 */
export const repoLabels = (roots: Iterable<string>): Map<string, string> => {
  const unique = [...new Set(roots)]
  const depth = new Map(unique.map((r) => [r, 1]))
  const labelOf = (root: string): string => {
    const parts: string[] = []
    let path = root
    for (let i = 0; i < (depth.get(root) ?? 1) && path !== dirname(path); i++) {
      parts.unshift(basename(path))
      path = dirname(path)
    }
    return parts.length === 0 ? root : parts.join("/")
  }
  for (let round = 0; round < 64; round++) {
    const byLabel = new Map<string, string[]>()
    for (const r of unique) byLabel.set(labelOf(r), [...(byLabel.get(labelOf(r)) ?? []), r])
    const clashing = [...byLabel.values()].filter((rs) => rs.length > 1).flat()
    if (clashing.length === 0) break
    for (const r of clashing) depth.set(r, (depth.get(r) ?? 1) + 1)
  }
  return new Map(unique.map((r) => [r, labelOf(r)]))
}

type ColumnId = "job" | "status" | "repo" | "hook" | "worktree" | "started" | "duration" | "exit" | "log" | "reason"

/**
 * Every column the table may show, with its drop priority: when the terminal is too narrow the
 * flexible ones (minWidth) shrink first, then the lowest priority goes first. JOB is never cut.
 */
const COLUMNS: ReadonlyArray<Column & { readonly id: ColumnId }> = [
  { id: "job", header: "JOB", priority: 100 },
  { id: "status", header: "STATUS", priority: 9 },
  { id: "repo", header: "REPO", priority: 8, minWidth: 10, keep: "end" },
  { id: "hook", header: "HOOK", priority: 5, minWidth: 11 },
  { id: "worktree", header: "WORKTREE", priority: 4, minWidth: 16, keep: "end" },
  { id: "started", header: "STARTED", priority: 7 },
  { id: "duration", header: "DURATION", priority: 6, align: "right" },
  { id: "exit", header: "EXIT", priority: 3, align: "right" },
  { id: "log", header: "LOG", priority: 2, align: "right" },
  { id: "reason", header: "REASON", priority: 1, minWidth: 12 }
]

export interface TableContext {
  readonly now: number
  readonly width: number
  readonly colour: boolean
  readonly home: string | undefined
  /** `--all-repos`: add a REPO column. */
  readonly allRepos?: boolean
}

const cellsOf = (job: JobInfo, ctx: TableContext, repos: Map<string, string>): Record<ColumnId, Cell> => ({
  job: { text: jobLabel(job) },
  status: { text: statusLabel(job.status, job.error, job), colour: statusColour(job.status) },
  repo: { text: repos.get(job.repo_root) ?? job.repo_root },
  hook: { text: job.hook },
  worktree: { text: worktreeText(job, ctx.home) },
  started: { text: formatRelativeTime(job.started_at, ctx.now) },
  duration: { text: formatDuration(liveDuration(job, ctx.now)) },
  exit: { text: exitText(job), colour: job.exit_code !== null && job.exit_code !== 0 ? "red" : undefined },
  log: { text: formatBytes(job.log_bytes) },
  reason: { text: reasonText(job) }
})

export const jobsTable = (jobs: ReadonlyArray<JobInfo>, ctx: TableContext): string[] => {
  const repos = repoLabels(jobs.map((j) => j.repo_root))
  const rows = jobs.map((job) => cellsOf(job, ctx, repos))
  const shown = COLUMNS.filter((c) => {
    if (c.id === "repo") return ctx.allRepos === true
    // A column that says the same on every row says nothing: the worktree when all share it, an empty REASON.
    if (c.id === "worktree") return new Set(rows.map((r) => r.worktree.text)).size > 1
    if (c.id === "reason") return rows.some((r) => r.reason.text !== "")
    return true
  })
  return renderTable(shown, rows.map((r) => shown.map((c) => r[c.id])), ctx.width, ctx.colour)
}

/** `… 143 more (hookctl ls --limit 0 for all)` when the supervisor matched more jobs than it sent. */
export const moreFooter = (shown: number, total: number | undefined): string[] =>
  total !== undefined && total > shown ? [`… ${total - shown} more (hookctl ls --limit 0 for all)`] : []

/** The table's lines, or `no jobs`. */
export const renderJobsTable = (jobs: ReadonlyArray<JobInfo>, ctx: TableContext): string[] =>
  jobs.length === 0 ? ["no jobs"] : jobsTable(jobs, ctx)
