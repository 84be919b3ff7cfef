-- Input keys (hookd.yml `inputs:`): a job that declares inputs stores the hash of its command, cwd,
-- listed env values and input files, so the next run of the same job in the same worktree can be
-- skipped when nothing changed. `input_match` is set on such a skipped row: the invocation whose
-- completed run it matched.
ALTER TABLE jobs ADD COLUMN input_key TEXT;
ALTER TABLE jobs ADD COLUMN input_match TEXT;

-- The cache looks up the newest run of one job name in one worktree on every hook run.
CREATE INDEX jobs_by_worktree_name ON jobs (worktree, name);
