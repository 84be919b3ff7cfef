// Job history written straight through the store API (no supervisor, no processes): the many-job
// and many-repo histories the start-up, listing and retention tests and bench/start-history.mjs need.
// Each invocation and its jobs go in one transaction, so 100,000 rows take seconds, not minutes.
import { Effect } from "effect"
import { repoDbPath } from "../../src/protocol/paths"
import { openRepoStore } from "../../src/store/open"
import { firstAttemptFields, type InvocationRow, type JobRow } from "../../src/store/rows"

export interface SeedOptions {
  readonly stateDir: string
  readonly repoId: string
  /** Recorded as the repo's root (a real git repository when hookctl must find it). */
  readonly root: string
  readonly invocations: number
  readonly jobsPerInvocation: number
  /** Epoch ms of the newest invocation; older ones are one second apart. Default: now. */
  readonly newestAt?: number
  /** Status of every job (default completed); a non-terminal one seeds what a killed supervisor leaves. */
  readonly status?: JobRow["status"]
  /** The hook environment stored per job; default a realistic ~30-variable one (~1.5 KB). */
  readonly env?: Record<string, string>
}

/** Like a developer's shell: PATH, locale, editor, a few tool variables (what a hook run carries). */
export const realisticEnv = (): Record<string, string> => {
  const env: Record<string, string> = {
    PATH: "/home/dev/.local/bin:/home/dev/.nvm/versions/node/v20.20.0/bin:/usr/local/bin:/usr/bin:/bin",
    HOME: "/home/dev",
    USER: "dev",
    SHELL: "/bin/bash",
    LANG: "en_US.UTF-8",
    TERM: "xterm-256color",
    EDITOR: "vim",
    GIT_EXEC_PATH: "/usr/lib/git-core",
    GIT_AUTHOR_NAME: "Dev Eloper",
    GIT_AUTHOR_EMAIL: "dev@example.com"
  }
  for (let i = 0; i < 20; i++) env[`TOOL_SETTING_${i}`] = `value-${i}-${"x".repeat(40)}`
  return env
}

export const invocationIdOf = (n: number): string => n.toString(16).padStart(16, "0")

const jobRow = (invocation: InvocationRow, name: string, status: JobRow["status"], env: Record<string, string>): JobRow => {
  const ended = status !== "queued" && status !== "running" && status !== "cancelling"
  return {
    invocation_id: invocation.invocation_id,
    name,
    hook: invocation.hook,
    worktree: invocation.worktree,
    command: `npm run ${name}`,
    cwd: null,
    env,
    needs: [],
    tags: ["seeded"],
    background: true,
    status,
    exit_code: ended ? 0 : null,
    signal: null,
    pid: ended ? null : 2_000_000_000,
    pgid: ended ? null : 2_000_000_000,
    proc_start: null,
    queued_at: invocation.created_at,
    started_at: invocation.created_at,
    finished_at: ended ? invocation.created_at + 500 : null,
    timeout_ms: null,
    retention_secs: null,
    sampling_every_nth: null,
    max_log_bytes: null,
    log_bytes: ended ? 120 : 0,
    skip_reason: null,
    error: null,
    input_key: null,
    input_match: null,
    ...firstAttemptFields()
  }
}

/** Writes `invocations × jobsPerInvocation` job rows into the repo's coordinator.db (created if missing). */
export const seedHistory = (options: SeedOptions) =>
  Effect.scoped(
    Effect.gen(function* () {
      const store = yield* openRepoStore({
        dbPath: repoDbPath(options.stateDir, options.repoId),
        repoId: options.repoId,
        root: options.root
      })
      const newest = options.newestAt ?? Date.now()
      const env = options.env ?? realisticEnv()
      const status = options.status ?? "completed"
      for (let i = 0; i < options.invocations; i++) {
        const invocation: InvocationRow = {
          invocation_id: invocationIdOf(i + 1),
          hook: "post-checkout",
          worktree: options.root,
          args: [],
          created_at: newest - (options.invocations - 1 - i) * 1000,
          status: status === "completed" ? "completed" : "running",
          supervisor_pid: 1
        }
        const jobs = Array.from({ length: options.jobsPerInvocation }, (_, k) => jobRow(invocation, `job-${k}`, status, env))
        yield* store.insertInvocation(invocation, jobs)
      }
    })
  )
