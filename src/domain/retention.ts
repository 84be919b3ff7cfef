// Which invocations a retention sweep or `Prune` removes (SPEC §9). Pure: no I/O — the sweep
// and `Prune{dry_run}` call the same function on the same snapshot, so a dry run reports exactly
// what a real run would remove.
import { isTerminal, type JobStatus } from "./status"

export interface RetentionPolicy {
  /** Default lifetime of a job's logs, for jobs without their own `retention_secs`. */
  readonly retention_secs: number
  /** Newest invocations of each worktree that are always kept. */
  readonly keep_last: number
  /** Budget for the repo's log bytes; null = no budget. */
  readonly max_total_bytes: number | null
}

export interface RetentionJob {
  readonly status: JobStatus
  readonly finished_at: number | null
  readonly retention_secs: number | null
  readonly log_bytes: number
}

export interface RetentionInvocation {
  readonly invocation_id: string
  readonly worktree: string
  readonly created_at: number
  readonly jobs: ReadonlyArray<RetentionJob>
}

/**
 * What the decision needs of one invocation, aggregated over its jobs — the store computes it in
 * SQL (no job row is read into memory), `summarizeInvocation` from job rows; both must agree.
 */
export interface InvocationSummary {
  readonly invocation_id: string
  readonly worktree: string
  readonly created_at: number
  readonly jobs: number
  /** Sum of the jobs' log_bytes. */
  readonly bytes: number
  /** Some job is not terminal (queued, running, cancelling, or a status this build does not know). */
  readonly active: boolean
  /** Latest end (finished_at, else the invocation's creation) of the jobs without their own retention; null when none. */
  readonly ended_at_default: number | null
  /** Latest end + own retention_secs (in ms) of the jobs that have their own; null when none. */
  readonly expires_at_own: number | null
  /** Latest end of any job, and never before the invocation's creation. */
  readonly last_ended_at: number
}

export const summarizeInvocation = (inv: RetentionInvocation): InvocationSummary => {
  let bytes = 0
  let active = false
  let endedAtDefault: number | null = null
  let expiresAtOwn: number | null = null
  let lastEndedAt = inv.created_at
  for (const j of inv.jobs) {
    const ended = j.finished_at ?? inv.created_at
    bytes += j.log_bytes
    if (!isTerminal(j.status)) active = true
    if (j.retention_secs === null) endedAtDefault = Math.max(endedAtDefault ?? ended, ended)
    else expiresAtOwn = Math.max(expiresAtOwn ?? -Infinity, ended + j.retention_secs * 1000)
    lastEndedAt = Math.max(lastEndedAt, ended)
  }
  return {
    invocation_id: inv.invocation_id,
    worktree: inv.worktree,
    created_at: inv.created_at,
    jobs: inv.jobs.length,
    bytes,
    active,
    ended_at_default: endedAtDefault,
    expires_at_own: expiresAtOwn,
    last_ended_at: lastEndedAt
  }
}

export interface RetentionInput {
  readonly now: number
  readonly policy: RetentionPolicy
  /** Every invocation of the repo: the budget counts them all. */
  readonly invocations: ReadonlyArray<InvocationSummary>
  /** From `Prune{older_than_secs}`: also remove what is older than this. */
  readonly olderThanSecs?: number
}

export type RetentionReason = "expired" | "over_budget" | "older_than"

export interface RetentionDecision {
  readonly invocation_id: string
  readonly worktree: string
  readonly reason: RetentionReason
  readonly jobs: number
  readonly bytes: number
}

/** Oldest first; equal times fall back to the id so the order never depends on input order. */
const oldestFirst = (a: InvocationSummary, b: InvocationSummary): number =>
  a.created_at - b.created_at || (a.invocation_id < b.invocation_id ? -1 : a.invocation_id > b.invocation_id ? 1 : 0)

/** The newest `keep_last` invocations of each worktree. */
const protectedIds = (sorted: ReadonlyArray<InvocationSummary>, keepLast: number): Set<string> => {
  const keep = new Set<string>()
  const kept = new Map<string, number>()
  for (let i = sorted.length - 1; i >= 0; i--) {
    const inv = sorted[i]
    const n = kept.get(inv.worktree) ?? 0
    if (n < keepLast) {
      keep.add(inv.invocation_id)
      kept.set(inv.worktree, n + 1)
    }
  }
  return keep
}

/**
 * Expired when every job's logs have outlived that job's retention, measured from when the job
 * finished (or from when the invocation was created, if it has no finish time). An invocation with
 * no jobs expires on the policy's retention from its creation.
 */
const isExpired = (inv: InvocationSummary, now: number, policy: RetentionPolicy): boolean => {
  const retentionMs = policy.retention_secs * 1000
  if (inv.jobs === 0) return now - inv.created_at >= retentionMs
  return (
    (inv.ended_at_default === null || now - inv.ended_at_default >= retentionMs) &&
    (inv.expires_at_own === null || now >= inv.expires_at_own)
  )
}

/**
 * Decides, in this order: (1) an invocation with any non-terminal job, or among the newest
 * `keep_last` of its worktree, is never removed; (2) the rest are "expired" when past retention,
 * else "older_than" when `olderThanSecs` is given and they finished longer ago than that;
 * (3) while the repo's bytes (all invocations, minus those already removed) exceed
 * `max_total_bytes`, the oldest remaining removable invocation goes as "over_budget".
 * Returns the decisions oldest first. Does not mutate its input.
 */
export const planRetention = (input: RetentionInput): RetentionDecision[] => {
  const { now, policy, olderThanSecs } = input
  const sorted = [...input.invocations].sort(oldestFirst)
  const keep = protectedIds(sorted, Math.max(0, policy.keep_last))
  const evictable = sorted.filter(
    (inv) => !keep.has(inv.invocation_id) && !inv.active
  )

  const reasons = new Map<string, RetentionReason>()
  for (const inv of evictable) {
    if (isExpired(inv, now, policy)) reasons.set(inv.invocation_id, "expired")
    else if (olderThanSecs !== undefined && now - inv.last_ended_at >= olderThanSecs * 1000) {
      reasons.set(inv.invocation_id, "older_than")
    }
  }

  if (policy.max_total_bytes !== null) {
    let remaining = sorted.reduce((sum, inv) => sum + inv.bytes, 0)
    for (const inv of evictable) if (reasons.has(inv.invocation_id)) remaining -= inv.bytes
    for (const inv of evictable) {
      if (remaining <= policy.max_total_bytes) break
      if (reasons.has(inv.invocation_id)) continue
      reasons.set(inv.invocation_id, "over_budget")
      remaining -= inv.bytes
    }
  }

  return evictable
    .filter((inv) => reasons.has(inv.invocation_id))
    .map((inv) => ({
      invocation_id: inv.invocation_id,
      worktree: inv.worktree,
      reason: reasons.get(inv.invocation_id)!,
      jobs: inv.jobs,
      bytes: inv.bytes
    }))
}

/** Totals for a `Pruned` answer. */
export const summarizeRetention = (
  decisions: ReadonlyArray<RetentionDecision>
): { readonly invocations: number; readonly jobs: number; readonly bytes: number } => ({
  invocations: decisions.length,
  jobs: decisions.reduce((sum, d) => sum + d.jobs, 0),
  bytes: decisions.reduce((sum, d) => sum + d.bytes, 0)
})
