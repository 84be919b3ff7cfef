// Request builders shared by the black-box tests and the in-process harness.
import type { JobSpec, RequestPayloads } from "../../src/protocol/types"

export const job = (name: string, run: string, extra: Partial<JobSpec> = {}): JobSpec => ({ name, run, background: true, ...extra })

export const runJobs = (repo: string, jobs: ReadonlyArray<JobSpec>, extra: Partial<RequestPayloads["RunJobs"]> = {}): RequestPayloads["RunJobs"] => ({
  repo_root: repo,
  worktree: repo,
  hook: "post-checkout",
  args: [],
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  mode: "auto",
  wait: false,
  jobs,
  ...extra
})
