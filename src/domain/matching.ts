// Job filters for ListJobs and CancelMatching (SPEC §2). Pure: no I/O.
import type { JobStatus } from "./status"

/** The predicates a request may carry; every one given must hold (they AND together). */
export interface JobPredicates {
  readonly hook?: string
  readonly worktree?: string
  readonly tag?: string
  readonly invocation_prefix?: string
  readonly older_than_secs?: number
  /** ListJobs `status[]`; an empty list means "any status". */
  readonly statuses?: ReadonlyArray<string>
}

/** The part of a job row the filters read; real store rows fit structurally. */
export interface MatchableJob {
  readonly invocation_id: string
  readonly hook: string
  readonly worktree: string
  readonly tags: ReadonlyArray<string>
  readonly status: JobStatus
  readonly queued_at: number | null
  readonly started_at: number | null
}

/**
 * CancelMatching needs at least one of its own predicates, so that an empty request can never
 * cancel everything (that is CancelAll's job). `statuses` is not a CancelMatching predicate —
 * the shell may narrow to active jobs with it — so it does not count here.
 */
export const hasAnyPredicate = (p: JobPredicates): boolean =>
  p.hook !== undefined ||
  p.worktree !== undefined ||
  p.tag !== undefined ||
  p.invocation_prefix !== undefined ||
  p.older_than_secs !== undefined

/**
 * True when the job satisfies every predicate given. `older_than_secs` measures age from when the
 * job started (or was queued, if it never started); a job with neither time is not "older" than anything.
 */
export const matchesJob = (job: MatchableJob, p: JobPredicates, now: number): boolean => {
  if (p.hook !== undefined && job.hook !== p.hook) return false
  if (p.worktree !== undefined && job.worktree !== p.worktree) return false
  if (p.tag !== undefined && !job.tags.includes(p.tag)) return false
  if (p.invocation_prefix !== undefined && !job.invocation_id.startsWith(p.invocation_prefix)) return false
  if (p.statuses !== undefined && p.statuses.length > 0 && !p.statuses.includes(job.status)) return false
  if (p.older_than_secs !== undefined) {
    const since = job.started_at ?? job.queued_at
    if (since === null || now - since < p.older_than_secs * 1000) return false
  }
  return true
}

/** Invocation ids are 16 lowercase hex chars; a prefix of at least 4 of them is an address. */
const INVOCATION_PREFIX = /^[0-9a-f]{4,16}$/

export const isValidInvocationPrefix = (prefix: string): boolean => INVOCATION_PREFIX.test(prefix)

export type PrefixResolution =
  | { readonly kind: "none" }
  | { readonly kind: "one"; readonly id: string }
  | { readonly kind: "ambiguous"; readonly candidates: ReadonlyArray<string> }

/**
 * Resolves a prefix against known invocation ids. Candidates keep the order of `ids` (the caller
 * passes them newest first) with duplicates removed. Validity is checked separately
 * (`isValidInvocationPrefix`) because a malformed prefix is a BAD_REQUEST, not a NO_MATCH.
 */
export const resolveInvocationPrefix = (prefix: string, ids: ReadonlyArray<string>): PrefixResolution => {
  const candidates = [...new Set(ids.filter((id) => id.startsWith(prefix)))]
  if (candidates.length === 0) return { kind: "none" }
  if (candidates.length === 1) return { kind: "one", id: candidates[0] }
  return { kind: "ambiguous", candidates }
}
