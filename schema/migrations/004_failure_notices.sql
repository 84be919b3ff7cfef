-- Failure notices (SPEC §8): a background job that ended failed, timed_out or crashed is reported
-- once, by the next hook run in any worktree of the repo. `notified_at` is when that happened.
ALTER TABLE jobs ADD COLUMN notified_at INTEGER;

-- Failures recorded before this migration are history, not news: never report them.
UPDATE jobs SET notified_at = 0 WHERE status IN ('failed', 'timed_out', 'crashed');

-- Every hook run asks for the pending notices: only the few un-noticed failures are indexed.
CREATE INDEX jobs_pending_notices ON jobs (finished_at)
  WHERE notified_at IS NULL AND background = 1 AND status IN ('failed', 'timed_out', 'crashed');
