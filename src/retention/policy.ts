// The repo's retention policy as a sweep applies it (SPEC §9): the `repo_policy` row written by the
// latest RunJobs, or these defaults when no RunJobs has recorded one yet.
import { DEFAULT_POLICY, type RepoPolicyConfig } from "../config/context"
import type { RepoPolicyRow } from "../store/rows"

export type RepoRetentionPolicy = RepoPolicyConfig

/** The config's `log:` defaults (7d / 3 / 500MB / 24h): one source for both. */
export const DEFAULT_RETENTION_POLICY: RepoRetentionPolicy = DEFAULT_POLICY

export const effectivePolicy = (row: RepoPolicyRow | undefined): RepoRetentionPolicy =>
  row === undefined
    ? DEFAULT_RETENTION_POLICY
    : {
        retention_secs: row.retention_secs,
        keep_last: row.keep_last,
        max_total_bytes: row.max_total_bytes,
        stale_running_after_secs: row.stale_running_after_secs
      }
