// The block `hookctl run-hook` prints on stderr once a hook's foreground jobs have ended (issue 10
// item 6): one line per job — mark, name, duration, and for a job that did not complete what went
// wrong and the `hookctl logs` address to read it — then, when the hook failed, how to get past it.
// Pure: the caller passes the jobs, the environment and whether stderr is a terminal.
import { bypassHint, NON_BLOCKING_HOOKS } from "../config/hook-names"
import type { JobInfo } from "../protocol/types"
import { formatDuration } from "./format"
import { jobLabel } from "./jobs-view"
import { terminalSafe } from "../protocol/terminal-text"

export type SummaryJob = Pick<
  JobInfo,
  "invocation_id" | "name" | "status" | "exit_code" | "signal" | "duration_ms" | "skip_reason" | "error" | "background"
>

type Outcome = "ok" | "failed" | "skipped"

/** `✓ ✗ ⊘` where the terminal can show them, `ok FAIL skip` otherwise (same width in each set). */
const MARKS: Record<"symbols" | "ascii", Record<Outcome, string>> = {
  symbols: { ok: "✓", failed: "✗", skipped: "⊘" },
  ascii: { ok: "ok  ", failed: "FAIL", skipped: "skip" }
}

/**
 * Symbols only when the terminal both can and wants to show them: stderr is a TTY, NO_COLOR is unset
 * (it asks for plain output), and the locale is UTF-8 (the first of LC_ALL, LC_CTYPE, LANG that is
 * set decides, as the C library does; none set means the C locale, which is ASCII).
 */
export const useSymbols = (isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean => {
  if (isTTY !== true) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== "") ?? ""
  return /utf-?8/i.test(locale)
}

const outcomeOf = (status: string): Outcome =>
  status === "completed" ? "ok" : status === "skipped" ? "skipped" : "failed"

/** What went wrong, in the words `hookctl ls` uses. */
const failureDetail = (job: SummaryJob): string => {
  if (job.status === "failed" && job.signal !== null) return `killed by ${job.signal}`
  if (job.status === "failed" && job.exit_code !== null) return `exit ${job.exit_code}`
  if (job.status === "failed" && job.error !== null) return job.error
  return job.status.replace("_", " ")
}

/**
 * The last line of a failed hook's summary: how to go on anyway (a post-hook blocks nothing).
 * `failed`: the jobs that did not complete (HOOKD_SKIP can skip them where git has no flag).
 */
export const bypassLine = (hook: string, failed: ReadonlyArray<string> = []): string =>
  NON_BLOCKING_HOOKS.has(hook)
    ? `hookd: ${hook} runs after git has acted, so it blocks nothing; fix the job or rerun it with \`hookctl retry\``
    : `hookd: ${hook} failed — to go on anyway: ${bypassHint(hook, failed)}`

/**
 * The summary lines for a hook's foreground jobs (none when it had none). Names and reasons are
 * escaped: they come from the config and the supervisor, and must not drive the terminal.
 */
export const hookSummary = (hook: string, jobs: ReadonlyArray<SummaryJob>, symbols: boolean): string[] => {
  const waited = jobs.filter((job) => !job.background)
  if (waited.length === 0) return []
  const marks = MARKS[symbols ? "symbols" : "ascii"]
  const width = Math.max(...waited.map((job) => terminalSafe(job.name).length))
  const lines = waited.map((job) => {
    const outcome = outcomeOf(job.status)
    const name = terminalSafe(job.name).padEnd(width)
    if (outcome === "skipped") return `  ${marks.skipped} ${name}  skipped${job.skip_reason !== null ? `: ${terminalSafe(job.skip_reason)}` : ""}`
    const duration = formatDuration(job.duration_ms).padStart(6)
    if (outcome === "ok") return `  ${marks.ok} ${name}  ${duration}`
    return `  ${marks.failed} ${name}  ${duration}  ${terminalSafe(failureDetail(job))} — hookctl logs ${terminalSafe(jobLabel(job))}`
  })
  const failed = waited.filter((job) => outcomeOf(job.status) === "failed").map((job) => job.name)
  return [`hookd: ${hook} summary`, ...lines, ...(failed.length > 0 ? [bypassLine(hook, failed)] : [])]
}
