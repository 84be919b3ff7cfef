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

export interface RetentionInput {
  readonly now: number
  readonly policy: RetentionPolicy
  /** Every invocation of the repo: the budget counts them all. */
  readonly invocations: ReadonlyArray<RetentionInvocation>
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

const bytesOf = (inv: RetentionInvocation): number => inv.jobs.reduce((sum, j) => sum + j.log_bytes, 0)

/** Oldest first; equal times fall back to the id so the order never depends on input order. */
const oldestFirst = (a: RetentionInvocation, b: RetentionInvocation): number =>
  a.created_at - b.created_at || (a.invocation_id < b.invocation_id ? -1 : a.invocation_id > b.invocation_id ? 1 : 0)

/** The newest `keep_last` invocations of each worktree. */
const protectedIds = (sorted: ReadonlyArray<RetentionInvocation>, keepLast: number): Set<string> => {
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
const isExpired = (inv: RetentionInvocation, now: number, policy: RetentionPolicy): boolean => {
  if (inv.jobs.length === 0) return now - inv.created_at >= policy.retention_secs * 1000
  return inv.jobs.every(
    (j) => now - (j.finished_at ?? inv.created_at) >= (j.retention_secs ?? policy.retention_secs) * 1000
  )
}

/** Age for `older_than`: from the last job's finish, or creation when nothing has a finish time. */
const finishedAt = (inv: RetentionInvocation): number =>
  inv.jobs.reduce((latest, j) => Math.max(latest, j.finished_at ?? inv.created_at), inv.created_at)

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
    (inv) => !keep.has(inv.invocation_id) && inv.jobs.every((j) => isTerminal(j.status))
  )

  const reasons = new Map<string, RetentionReason>()
  for (const inv of evictable) {
    if (isExpired(inv, now, policy)) reasons.set(inv.invocation_id, "expired")
    else if (olderThanSecs !== undefined && now - finishedAt(inv) >= olderThanSecs * 1000) {
      reasons.set(inv.invocation_id, "older_than")
    }
  }

  if (policy.max_total_bytes !== null) {
    let remaining = sorted.reduce((sum, inv) => sum + bytesOf(inv), 0)
    for (const inv of evictable) if (reasons.has(inv.invocation_id)) remaining -= bytesOf(inv)
    for (const inv of evictable) {
      if (remaining <= policy.max_total_bytes) break
      if (reasons.has(inv.invocation_id)) continue
      reasons.set(inv.invocation_id, "over_budget")
      remaining -= bytesOf(inv)
    }
  }

  return evictable
    .filter((inv) => reasons.has(inv.invocation_id))
    .map((inv) => ({
      invocation_id: inv.invocation_id,
      worktree: inv.worktree,
      reason: reasons.get(inv.invocation_id)!,
      jobs: inv.jobs.length,
      bytes: bytesOf(inv)
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
