-- Listings walk invocations newest first (created_at, then rowid: the index carries it) and take
-- each one's jobs in insertion order, so `ListJobs{limit}` stops after the rows it needs instead
-- of sorting every job of the repository.
CREATE INDEX invocations_by_created ON invocations (created_at);
CREATE INDEX jobs_by_invocation ON jobs (invocation_id);
