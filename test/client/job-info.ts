// A JobInfo as ListJobs answers it, for the pure tests of hookctl's views (override what a test needs).
import type { JobInfo } from "../../src/protocol/types"

export const NOW = 1_700_000_000_000

export const job = (over: Partial<JobInfo> = {}): JobInfo => ({
  repo_id: "0123456789abcdef",
  repo_root: "/home/u/src/web",
  invocation_id: "a1b2c3d4e5f60718",
  name: "install",
  hook: "post-checkout",
  worktree: "/home/u/src/web-feature-branch-with-a-long-name",
  command: "npm install",
  cwd: null,
  status: "completed",
  exit_code: 0,
  signal: null,
  pid: 4242,
  tags: ["deps", "slow"],
  needs: [],
  background: true,
  queued_at: NOW - 200_000,
  started_at: NOW - 180_000,
  finished_at: NOW - 88_000,
  duration_ms: 92_000,
  log_bytes: 1536,
  skip_reason: null,
  error: null,
  input_key: null,
  input_match: null,
  ...over
})

