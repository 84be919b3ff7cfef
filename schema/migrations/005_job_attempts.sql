-- Automatic retry (issue 12 item 8, `retry: {attempts, backoff}`): the attempts of a job share its
-- row. The row describes the newest attempt; the earlier ones are kept, oldest first, in
-- attempts_json ([{attempt, status, exit_code, signal, error, finished_at}]).
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
-- 1 = no retry.
ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 1;
-- The wait before the 2nd attempt (`hookctl retry` re-runs a job with the same policy).
ALTER TABLE jobs ADD COLUMN retry_backoff_ms INTEGER;
-- While a job waits to be retried (status queued): when its next attempt starts; else NULL.
ALTER TABLE jobs ADD COLUMN retry_at INTEGER;
ALTER TABLE jobs ADD COLUMN attempts_json TEXT;
