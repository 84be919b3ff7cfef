// Backdated invocations written through the store API, with real log directories beside them,
// and a hash of a whole file tree for "touches nothing" checks. Shared by the shell tests and the
// black-box Prune test (which writes its fixture before the supervisor starts).
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { jobLogPath, repoDir } from "../../src/protocol/paths"
import type { RepoStore } from "../../src/store/repo-store"
import { firstAttemptFields, type InvocationRow, type JobRow } from "../../src/store/rows"
import type { JobStatus } from "../../src/domain/status"

export const SEC = 1000
export const HOUR = 3600 * SEC
export const DAY = 24 * HOUR

/** A readable 16-hex invocation id: `invId(1)` = "a000000000000001". */
export const invId = (n: number): string => `a${n.toString(16).padStart(15, "0")}`

export interface FixtureJob {
  readonly name: string
  readonly status?: JobStatus
  /** ms before `now`; null = no finish time. Defaults to the invocation's age. */
  readonly finishedAgo?: number | null
  readonly startedAgo?: number
  readonly retention_secs?: number
  /** Size of the log file written for the job, also stored as the row's log_bytes; 0: no file (it wrote no output). */
  readonly bytes?: number
}

export interface FixtureInvocation {
  readonly id: string
  readonly worktree: string
  /** ms before `now`. */
  readonly ago: number
  readonly jobs: ReadonlyArray<FixtureJob>
  /** Write no log directory (an invocation whose logs were never created). */
  readonly noLogs?: boolean
}

const jobRow = (inv: FixtureInvocation, job: FixtureJob, now: number): JobRow => {
  const status = job.status ?? "completed"
  const finishedAgo = job.finishedAgo === undefined ? inv.ago : job.finishedAgo
  return {
    invocation_id: inv.id,
    name: job.name,
    hook: "post-checkout",
    worktree: inv.worktree,
    command: `echo ${job.name}`,
    cwd: null,
    env: { PATH: "/usr/bin:/bin" },
    needs: [],
    tags: [],
    background: true,
    status,
    exit_code: status === "completed" ? 0 : null,
    signal: null,
    pid: null,
    pgid: null,
    proc_start: null,
    queued_at: now - inv.ago,
    started_at: job.startedAgo !== undefined ? now - job.startedAgo : now - inv.ago,
    finished_at: finishedAgo === null ? null : now - finishedAgo,
    timeout_ms: 300_000,
    retention_secs: job.retention_secs ?? null,
    sampling_every_nth: null,
    max_log_bytes: null,
    log_bytes: job.bytes ?? 100,
    skip_reason: null,
    error: null,
    input_key: null,
    input_match: null,
    ...firstAttemptFields()
  }
}

/** One `bytes`-long output.jsonl of stdout records (the last line padded to fit exactly). */
const logContent = (bytes: number): string => {
  const line = (seq: number, data: string) => JSON.stringify({ seq, ts: 1, kind: "stdout", data }) + "\n"
  const base = line(0, "")
  return bytes <= base.length ? "x".repeat(bytes) : line(0, "y".repeat(bytes - base.length))
}

export const writeInvocation = (store: RepoStore, stateDir: string, now: number, inv: FixtureInvocation) =>
  Effect.gen(function* () {
    const row: InvocationRow = {
      invocation_id: inv.id,
      hook: "post-checkout",
      worktree: inv.worktree,
      args: ["a", "b", "1"],
      created_at: now - inv.ago,
      status: inv.jobs.every((j) => (j.status ?? "completed") === "completed") ? "completed" : "running",
      supervisor_pid: 4242
    }
    yield* store.insertInvocation(row, inv.jobs.map((j) => jobRow(inv, j, now)))
    if (inv.noLogs) return
    for (const job of inv.jobs) {
      if (job.bytes === 0) continue
      const path = jobLogPath(stateDir, store.repoId, inv.id, job.name)
      mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 })
      writeFileSync(path, logContent(job.bytes ?? 100), { mode: 0o600 })
    }
  })

export const writeInvocations = (store: RepoStore, stateDir: string, now: number, invs: ReadonlyArray<FixtureInvocation>) =>
  Effect.forEach(invs, (inv) => writeInvocation(store, stateDir, now, inv), { discard: true })

export const logsDir = (stateDir: string, repoId: string): string => join(repoDir(stateDir, repoId), "logs")

/** Entries of the repo's logs dir, sorted (missing dir = none). */
export const logEntries = (stateDir: string, repoId: string): string[] => {
  try {
    return readdirSync(logsDir(stateDir, repoId)).sort()
  } catch {
    return []
  }
}

/** path → sha256 of every file (and "dir" for every directory) under `root`: equal maps = identical trees. */
export const hashTree = (root: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const stat = lstatSync(path)
      const key = relative(root, path)
      if (stat.isDirectory()) {
        out[key] = `dir ${(stat.mode & 0o777).toString(8)}`
        walk(path)
      } else {
        out[key] = `${createHash("sha256").update(readFileSync(path)).digest("hex")} ${stat.size}`
      }
    }
  }
  walk(root)
  return out
}
