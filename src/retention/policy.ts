// The repo's retention policy as a sweep applies it (SPEC §9): the `repo_policy` row written by the
// latest RunJobs, or these defaults when no RunJobs has recorded one yet.
import type { RepoPolicyRow } from "../store/rows"

export interface RepoRetentionPolicy {
  readonly retention_secs: number
  readonly keep_last: number
  readonly max_total_bytes: number
  readonly stale_running_after_secs: number
}

/** `log:` defaults: 7d / 3 / 500MB (decimal, as `parseSize` reads "500MB") / 24h. */
export const DEFAULT_RETENTION_POLICY: RepoRetentionPolicy = {
  retention_secs: 7 * 24 * 3600,
  keep_last: 3,
  max_total_bytes: 500 * 1000 * 1000,
  stale_running_after_secs: 24 * 3600
}

export const effectivePolicy = (row: RepoPolicyRow | undefined): RepoRetentionPolicy =>
  row === undefined
    ? DEFAULT_RETENTION_POLICY
    : {
        retention_secs: row.retention_secs,
        keep_last: row.keep_last,
        max_total_bytes: row.max_total_bytes,
        stale_running_after_secs: row.stale_running_after_secs
      }
