-- hookd coordinator.db, schema v1 (SPEC §4). Times are epoch milliseconds.
-- Applied in one transaction by the migration runner, which then sets user_version = 1.

CREATE TABLE repo (
  repo_id    TEXT PRIMARY KEY,
  root       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE invocations (
  invocation_id  TEXT PRIMARY KEY,
  hook           TEXT NOT NULL,
  worktree       TEXT NOT NULL,
  args_json      TEXT NOT NULL DEFAULT '[]',
  created_at     INTEGER NOT NULL,
  status         TEXT NOT NULL,
  supervisor_pid INTEGER NOT NULL
);

CREATE TABLE jobs (
  invocation_id      TEXT NOT NULL,
  name               TEXT NOT NULL,
  hook               TEXT NOT NULL,
  worktree           TEXT NOT NULL,
  command            TEXT NOT NULL,
  cwd                TEXT,
  env_json           TEXT NOT NULL DEFAULT '{}',
  needs_json         TEXT NOT NULL DEFAULT '[]',
  tags_json          TEXT NOT NULL DEFAULT '[]',
  background         INTEGER NOT NULL DEFAULT 0 CHECK (background IN (0, 1)),
  status             TEXT NOT NULL,
  exit_code          INTEGER,
  signal             TEXT,
  pid                INTEGER,
  pgid               INTEGER,
  proc_start         TEXT,
  queued_at          INTEGER,
  started_at         INTEGER,
  finished_at        INTEGER,
  timeout_ms         INTEGER,
  retention_secs     INTEGER,
  sampling_every_nth INTEGER,
  max_log_bytes      INTEGER,
  log_bytes          INTEGER NOT NULL DEFAULT 0,
  skip_reason        TEXT,
  error              TEXT,
  PRIMARY KEY (invocation_id, name),
  FOREIGN KEY (invocation_id) REFERENCES invocations (invocation_id) ON DELETE CASCADE
);

CREATE TABLE repo_policy (
  id                       INTEGER PRIMARY KEY CHECK (id = 1),
  retention_secs           INTEGER NOT NULL,
  keep_last                INTEGER NOT NULL,
  max_total_bytes          INTEGER NOT NULL,
  stale_running_after_secs INTEGER NOT NULL,
  updated_at               INTEGER NOT NULL
);

CREATE INDEX jobs_by_status ON jobs (status);
CREATE INDEX invocations_by_worktree_created ON invocations (worktree, created_at);
