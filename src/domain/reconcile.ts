// What to do, on start, with jobs a previous supervisor left behind (SPEC §6). Pure: no I/O —
// the caller probes process groups first and applies the decisions afterwards.
import type { StatusEvent } from "../protocol/types"
import { isActiveStatus, type JobStatus } from "./status"

export { invocationStatus, type InvocationStatus } from "./status"

/** The part of a job row reconcile reads; real store rows fit structurally. */
export interface ReconcilableJob {
  readonly invocation_id: string
  readonly name: string
  readonly status: JobStatus
  readonly pgid: number | null
  /** Fingerprint recorded at spawn, e.g. "<boot_id>:<starttime>"; null when it could not be read. */
  readonly proc_start: string | null
  /** `retry:` — set while the job waited for its next attempt (status queued). */
  readonly retry_at?: number | null
  readonly attempt?: number
  readonly max_attempts?: number
  /** How the earlier attempts ended, oldest first. */
  readonly attempts?: ReadonlyArray<{ readonly status: JobStatus; readonly exit_code: number | null; readonly signal: string | null; readonly error: string | null }>
}

/** What the caller observed about one process group just before planning. */
export interface PgidProbe {
  /** Some live (non-zombie) member of the group exists. */
  readonly pgidAlive: boolean
  /** Fingerprint of the process whose pid is the pgid, computed the same way as `proc_start`; undefined if gone. */
  readonly currentFingerprint: string | undefined
}

export type ReconcileTerminalEvent =
  | { readonly event: "crashed"; readonly message: string }
  | { readonly event: "cancelled"; readonly by: "supervisor restarted" }
  | { readonly event: "finished"; readonly exit_code: number }
  | { readonly event: "signaled"; readonly signal: string }
  | { readonly event: "timed_out"; readonly after_ms: number }

export interface ReconcileDecision {
  readonly invocation_id: string
  readonly name: string
  /** Signal this group (TERM, grace, KILL) before marking the row; null = never signal anything. */
  readonly kill: { readonly pgid: number } | null
  readonly newStatus: "crashed" | "cancelled" | "failed" | "timed_out"
  readonly reason: string
  /** A job that died waiting to be retried ends as its last attempt did: that attempt's exit code or signal. */
  readonly ended?: { readonly exit_code: number | null; readonly signal: string | null }
  /** The record to append as the job log's last line. */
  readonly terminalEvent: ReconcileTerminalEvent
}

export const SUPERVISOR_RESTARTED = "supervisor restarted" as const

/**
 * One decision per queued/running/cancelling row (other rows are ignored). A group is killed only
 * when it is alive AND the pgid's current fingerprint equals the recorded one: a pid the kernel
 * has since given to another process is never signalled, and neither is a row without a recorded
 * fingerprint (we cannot prove the group is ours). A missing probe counts as "dead".
 */
export const planReconcile = (
  jobs: ReadonlyArray<ReconcilableJob>,
  probes: ReadonlyMap<number, PgidProbe>
): ReconcileDecision[] =>
  jobs.filter((job) => isActiveStatus(job.status)).map((job) => decide(job, probes))

const decide = (job: ReconcilableJob, probes: ReadonlyMap<number, PgidProbe>): ReconcileDecision => {
  const base = { invocation_id: job.invocation_id, name: job.name }
  const lastAttempt = job.attempts?.at(-1)
  if (job.status === "queued" && job.retry_at != null && lastAttempt !== undefined) {
    // It had run and failed, and waited for its next attempt: it ends as that attempt did, so the
    // failure is reported like any other, and the row says which attempt never ran.
    const next = `attempt ${job.attempt ?? job.attempts!.length + 1} of ${job.max_attempts ?? job.attempts!.length + 1} never ran: ${SUPERVISOR_RESTARTED} during the backoff`
    const status = lastAttempt.status === "timed_out" ? "timed_out" : "failed"
    return {
      ...base,
      kill: null,
      newStatus: status,
      reason: lastAttempt.error !== null ? `${lastAttempt.error}; ${next}` : next,
      ended: { exit_code: lastAttempt.exit_code, signal: lastAttempt.signal },
      terminalEvent: lastAttempt.signal !== null
        ? { event: "signaled", signal: lastAttempt.signal }
        : lastAttempt.exit_code !== null
          ? { event: "finished", exit_code: lastAttempt.exit_code }
          : { event: "crashed", message: next }
    }
  }
  if (job.status === "queued") {
    // Never spawned, so there is nothing to kill; it simply will not run.
    return {
      ...base,
      kill: null,
      newStatus: "cancelled",
      reason: SUPERVISOR_RESTARTED,
      terminalEvent: { event: "cancelled", by: SUPERVISOR_RESTARTED }
    }
  }
  const { kill, reason } = killDecision(job, probes)
  return { ...base, kill, newStatus: "crashed", reason, terminalEvent: { event: "crashed", message: reason } }
}

const killDecision = (
  job: ReconcilableJob,
  probes: ReadonlyMap<number, PgidProbe>
): { kill: { pgid: number } | null; reason: string } => {
  const prefix = "supervisor restarted while the job was " + job.status
  // pgid 0 or 1 would signal our own group or init: never a job's group.
  if (job.pgid === null || job.pgid <= 1) return { kill: null, reason: `${prefix}; no process group recorded` }
  const probe = probes.get(job.pgid)
  if (probe === undefined || !probe.pgidAlive) {
    return { kill: null, reason: `${prefix}; its processes had already exited` }
  }
  if (job.proc_start === null) {
    return { kill: null, reason: `${prefix}; no start fingerprint recorded, process group ${job.pgid} left alone` }
  }
  if (probe.currentFingerprint !== job.proc_start) {
    return { kill: null, reason: `${prefix}; pid ${job.pgid} now belongs to another process, not signalled` }
  }
  return { kill: { pgid: job.pgid }, reason: `${prefix}; orphaned process group ${job.pgid} killed` }
}

export interface ReconcileSummary {
  readonly crashed: number
  readonly cancelled: number
  readonly killed: number
}

export const summarizeReconcile = (decisions: ReadonlyArray<ReconcileDecision>): ReconcileSummary => ({
  crashed: decisions.filter((d) => d.newStatus === "crashed").length,
  cancelled: decisions.filter((d) => d.newStatus === "cancelled").length,
  killed: decisions.filter((d) => d.kill !== null).length
})

/** The row fields a terminal log record stands for. */
export interface LoggedEnd {
  readonly status: JobStatus
  readonly exit_code?: number
  readonly signal?: string
  readonly error?: string
  readonly skip_reason?: string
}

/**
 * When a job's log already ends in a terminal record, the job did end — only its row was never
 * written (the disk was full, or the supervisor died in between): the row takes the logged end
 * instead of `crashed`. Undefined for a record that does not end a job.
 */
export const endFromTerminalEvent = (event: StatusEvent): LoggedEnd | undefined => {
  switch (event.event) {
    case "finished":
      return { status: event.exit_code === 0 ? "completed" : "failed", exit_code: event.exit_code }
    case "signaled":
      return { status: "failed", signal: event.signal }
    case "timed_out":
      return { status: "timed_out", error: `timed out after ${event.after_ms} ms` }
    case "cancelled":
      return { status: "cancelled", error: `cancelled by ${event.by}` }
    case "skipped":
      return { status: "skipped", skip_reason: event.reason }
    case "crashed":
      // The runner ends a job it could not run on (its log failed, an internal error) as failed.
      return { status: "failed", error: event.message }
    default:
      return undefined
  }
}
