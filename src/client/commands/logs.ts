// `hookctl logs <job> [-f]`: replays (and follows) a job's records via TailLogs.
// Display rules (documented in --help/README): stdout records → stdout, stderr records → stderr,
// status records → stderr as `[hookd] <event> k=v…`. With none of --stdout/--stderr/--status all
// three are shown; naming any of them shows exactly those. --json prints raw records to stdout.
import { isTerminalRecord, isTerminalStatus, type JobAddress, type JobInfo, type LogKind, type LogRecord, type StatusEvent } from "../../protocol/types"
import type { Command } from "../cli"
import { expectKind, type Connection } from "../connection"
import { EXIT_FAILED, EXIT_OK } from "../errors"
import { attemptText, formatDuration } from "../format"
import { jobLabel, reasonText } from "../jobs-view"
import { err, out } from "../output"
import { terminalSafe } from "../../protocol/terminal-text"
import { withConnection } from "./connect"
import { addressOf, currentWorktree, newestJob, withJobSuggestion } from "./job-lookup"

type LogsCommand = Extract<Command, { kind: "logs" }>

const ALL_KINDS: ReadonlyArray<LogKind> = ["stdout", "stderr", "status"]

/** `[hookd] finished exit_code=0` */
export const formatStatusEvent = (event: StatusEvent): string => {
  const { event: name, ...rest } = event as { event: string } & Record<string, unknown>
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
  return terminalSafe(["[hookd]", name, ...fields].join(" "))
}

/** Did this terminal record mean "completed"? (SPEC §3: completed = exit 0.) */
export const isCompletedEvent = (event: StatusEvent): boolean => event.event === "finished" && event.exit_code === 0

/** Where a record goes and as what text, or undefined when it is not shown (pure). */
export const renderLogRecord = (
  record: LogRecord,
  shown: ReadonlyArray<LogKind>,
  json: boolean
): { readonly stream: "stdout" | "stderr"; readonly text: string } | undefined => {
  if (!shown.includes(record.kind)) return undefined
  if (json) return { stream: "stdout", text: JSON.stringify(record) + "\n" }
  if (record.kind === "status") return { stream: "stderr", text: formatStatusEvent(record.data) + "\n" }
  return { stream: record.kind, text: record.data + "\n" }
}

/**
 * `[hookd] queued (waiting for install)` or `(waiting for a slot)`: why a queued job has not started;
 * a job with `retry:` between attempts: `(retry 2/3 in 4s; attempt 1 failed: exit 1)`.
 */
export const queuedLine = (job: JobInfo, siblings: ReadonlyArray<JobInfo>, now = Date.now()): string => {
  if (job.retry_at != null) {
    const why = reasonText(job)
    return `[hookd] queued (${attemptText(job, job.status)} in ${formatDuration(job.retry_at - now)}${why === "" ? "" : `; ${why}`})`
  }
  const pending = job.needs.filter((need) => {
    const sibling = siblings.find((s) => s.name === need)
    return sibling !== undefined && !isTerminalStatus(sibling.status)
  })
  return `[hookd] queued (waiting for ${pending.length > 0 ? pending.join(", ") : "a slot"})`
}

/** For a follow: the job as it is now, so a queued one can say at once what it waits for. */
const explainQueued = async (c: Connection, address: JobAddress): Promise<string | undefined> => {
  const { job } = expectKind(await c.request("GetJob", { job: address }), "Job")
  if (job.status !== "queued") return undefined
  const siblings = expectKind(await c.request("ListJobs", { repo_root: job.repo_root, invocation_prefix: job.invocation_id }), "Jobs").jobs
  return queuedLine(job, siblings)
}

export const runLogs = (cmd: LogsCommand) => {
  const target = cmd.job
  // Outside a repository there is no "newest job here": exit 4 before reaching for the supervisor.
  const newest = "newest" in target ? { worktree: currentWorktree(target.cwd), failed: target.newest === "failed" } : undefined
  return withConnection(async (c) => {
    let address: JobAddress
    if ("newest" in target) {
      const job = await newestJob(c, cmd.repo, newest!.worktree, newest!.failed)
      address = addressOf(job)
      await err(`hookctl: ${terminalSafe(jobLabel(job))} (${job.status})\n`)
    } else {
      address = target
    }
    return withJobSuggestion(c, address, () => printLogs(c, cmd, address))
  })
}

const printLogs = async (c: Connection, cmd: LogsCommand, address: JobAddress): Promise<number> => {
  const shown = cmd.kinds ?? ALL_KINDS
  if (cmd.follow && !cmd.json && shown.includes("status")) {
    const queued = await explainQueued(c, address)
    if (queued !== undefined) await err(terminalSafe(queued) + "\n")
  }
  // Following needs the terminal status record to pick the exit code, even when not shown.
  const requested = cmd.follow && !shown.includes("status") ? [...shown, "status" as const] : shown
  const notBefore = cmd.sinceMs === undefined ? undefined : Date.now() - cmd.sinceMs
  let terminal: StatusEvent | undefined
  let endReason: string | undefined
  for await (const answer of c.stream("TailLogs", {
    job: address,
    follow: cmd.follow,
    ...(cmd.sinceSeq !== undefined && { since_seq: cmd.sinceSeq }),
    ...(requested.length < ALL_KINDS.length && { kinds: requested })
  })) {
    if (answer.kind === "StreamEnd") {
      endReason = answer.payload.reason
      break
    }
    const { record } = expectKind(answer, "StreamFrame")
    if (isTerminalRecord(record)) terminal = record.data
    if (notBefore !== undefined && record.ts < notBefore) continue
    const shownAs = renderLogRecord(record, shown, cmd.json)
    if (shownAs) await (shownAs.stream === "stdout" ? out(shownAs.text) : err(shownAs.text))
  }
  if (!cmd.follow) return EXIT_OK
  if (terminal !== undefined) return isCompletedEvent(terminal) ? EXIT_OK : EXIT_FAILED
  if (endReason === "shutdown") {
    await err("hookctl: the supervisor shut down before the job finished\n")
    return EXIT_FAILED
  }
  // The terminal record was before --since-seq: ask for the job's final status.
  const { job } = expectKind(await c.request("GetJob", { job: address }), "Job")
  return job.status === "completed" ? EXIT_OK : EXIT_FAILED
}
