// The repository API over one brought-up connection. Knows SQL and rows, nothing of jobs; each
// state change is one transaction.
import { Effect } from "effect"
import {
  decodeFailureNotice,
  decodeInvocation,
  decodeInvocationSummary,
  decodeJob,
  decodeListedJob,
  decodePolicy,
  decodeRepo,
  invocationParams,
  jobInsertParams,
  jobPatchColumnParams,
  jobPatchColumns,
  jobPatchParams,
  type JobValueColumn
} from "./codec"
import { type Connection, makeTransactor, type PreparedStatement } from "./connection"
import { damagedFix, diskFullFix } from "./diagnose"
import { MissingRow, StoreError } from "./errors"
import type { Keyset } from "../domain/list-page"
import { type JobStatus, toJobStatus } from "../domain/status"
import type { InvocationSummary } from "../domain/retention"
import type { FailureNoticeRow, InvocationRow, JobFilter, JobPatch, JobRow, ListedJobRow, RepoPolicyRow, RepoRow } from "./rows"
import { countJobsQuery, patchJobColumns, prepareStatements } from "./statements"

/** The keyset modes as listJobs' SQL numbers them. */
const KEYSET_MODES: Record<Keyset["mode"], number> = { before: 1, "at-or-before": 2, within: 3 }

/** listJobs' filter parameters ?1…?5. */
const filterParams = (filter: JobFilter) => [
  filter.worktree ?? null,
  filter.hook ?? null,
  filter.statuses && filter.statuses.length > 0 ? JSON.stringify(filter.statuses) : null,
  filter.tag ?? null,
  filter.invocation_prefix ?? null
]

/** Prepared UPDATE shapes kept per connection; a patch of another shape uses the generic statement. */
const MAX_PATCH_SHAPES = 32

/** Where a batch of invocationSummaries ended: the last invocation's created_at and rowid. */
export interface SummaryCursor {
  readonly createdAt: number
  readonly rowid: number
}

export interface RepoStore {
  readonly repoId: string
  readonly dbPath: string
  readonly repo: Effect.Effect<RepoRow, StoreError>
  /**
   * True once a statement failed because the file is damaged (truncated or garbled after it was
   * opened): this store is of no more use, and the registry closes it and opens the file afresh.
   */
  readonly isDamaged: () => boolean
  /** Closes the connection now, without a checkpoint (for a damaged store; the scope's own close then does nothing). */
  readonly closeNow: () => void
  /** One transaction; each job's env is scrubbed before it is stored. */
  insertInvocation(inv: InvocationRow, jobs: ReadonlyArray<JobRow>): Effect.Effect<void, StoreError>
  /** One transaction; fails when the job does not exist. An `env` in the patch is scrubbed. */
  updateJob(invocationId: string, name: string, patch: JobPatch): Effect.Effect<void, StoreError>
  /** All or nothing, in one transaction. */
  updateJobs(
    updates: ReadonlyArray<{ invocationId: string; name: string; patch: JobPatch }>
  ): Effect.Effect<void, StoreError>
  setInvocationStatus(invocationId: string, status: string): Effect.Effect<void, StoreError>
  getInvocation(invocationId: string): Effect.Effect<InvocationRow | undefined, StoreError>
  getJob(invocationId: string, name: string): Effect.Effect<JobRow | undefined, StoreError>
  /**
   * The distinct statuses of an invocation's jobs, in no order (what its roll-up needs: a 1,000-job
   * invocation's end read and decoded 1,000 rows, issue 13).
   */
  jobStatusesOfInvocation(invocationId: string): Effect.Effect<JobStatus[], StoreError>
  /** In declaration (insertion) order. */
  jobsOfInvocation(invocationId: string): Effect.Effect<JobRow[], StoreError>
  /** Its waited (foreground) jobs only, in declaration order: a waited hook's summary reads no background row. */
  waitedJobsOfInvocation(invocationId: string): Effect.Effect<JobRow[], StoreError>
  /**
   * Newest invocation first, then declaration order; with a keyset, only the rows after a ListJobs
   * cursor (domain/list-page). An empty `statuses` list means no status filter.
   */
  listJobs(filter: JobFilter, keyset?: Keyset): Effect.Effect<ListedJobRow[], StoreError>
  /** How many jobs match the filter, ignoring its limit. */
  countJobs(filter: JobFilter): Effect.Effect<number, StoreError>
  /** Newest first. */
  invocationIdsByPrefix(prefix: string): Effect.Effect<string[], StoreError>
  newestInvocationWithJob(name: string): Effect.Effect<string | undefined, StoreError>
  /** The newest row of job `name` in `worktree` whose status is one of `statuses`. */
  newestJobInWorktree(worktree: string, name: string, statuses: ReadonlyArray<string>): Effect.Effect<JobRow | undefined, StoreError>
  /** Jobs in queued, running or cancelling. */
  nonTerminalJobs(): Effect.Effect<JobRow[], StoreError>
  /** Every invocation (newest first) with its jobs (declaration order), for retention. */
  listInvocationsWithJobs(): Effect.Effect<Array<{ invocation: InvocationRow; jobs: JobRow[] }>, StoreError>
  /**
   * Retention's per-invocation aggregates, oldest first, at most `limit` after `after` (the `cursor`
   * of the previous batch); computed in SQL, no job row is decoded.
   */
  invocationSummaries(
    after: SummaryCursor | undefined,
    limit: number
  ): Effect.Effect<{ summaries: InvocationSummary[]; cursor: SummaryCursor | undefined }, StoreError>
  /** Which of these invocation ids have rows. */
  existingInvocations(ids: ReadonlyArray<string>): Effect.Effect<Set<string>, StoreError>
  /** One transaction; jobs go with their invocation (ON DELETE CASCADE). Returns invocations deleted. */
  deleteInvocations(ids: ReadonlyArray<string>): Effect.Effect<number, StoreError>
  /**
   * One transaction: the background failures not reported yet (oldest first), now marked reported
   * at `now` — each is handed out once.
   */
  takeFailureNotices(now: number): Effect.Effect<FailureNoticeRow[], StoreError>
  getPolicy(): Effect.Effect<RepoPolicyRow | undefined, StoreError>
  putPolicy(policy: Omit<RepoPolicyRow, "updated_at">): Effect.Effect<void, StoreError>
}

/**
 * Build the API on a connection that bring-up has finished with; records `root` in the repo table
 * (an empty root, as when the supervisor reopens a database it found on disk, keeps the stored one).
 */
export const makeRepoStore = (
  connection: Connection,
  repoId: string,
  root: string
): Effect.Effect<RepoStore, StoreError> => {
  const dbPath = connection.path
  let damaged = false
  /** A failure the user can act on carries the fix: a full disk, or a file damaged under us. */
  const fixFor = (cause: unknown): string | undefined => {
    const damage = damagedFix(dbPath, cause)
    if (damage !== undefined) damaged = true
    return damage ?? diskFullFix(dbPath, cause)
  }
  /** Set once the statements are prepared: writes updateJob queued, done before any other statement. */
  let flushQueued = (): void => {}
  const attempt = <A>(operation: string, run: () => A): Effect.Effect<A, StoreError> =>
    Effect.try({
      try: () => {
        flushQueued()
        return run()
      },
      catch: (cause) => new StoreError({ path: dbPath, operation, cause, fix: fixFor(cause) })
    })

  return attempt("prepare statements", () => {
    const s = prepareStatements(connection)
    const transaction = makeTransactor(connection)
    s.upsertRepo.run([repoId, root, Date.now()])

    // One count statement per filter shape (at most 32), prepared on first use.
    const countStatements = new Map<string, PreparedStatement>()

    // One UPDATE per patch shape (running, finished, cancelling … : a handful), prepared on first use.
    const patchStatements = new Map<string, { columns: JobValueColumn[]; statement: PreparedStatement }>()
    const patchOne = (invocationId: string, name: string, patch: JobPatch): void => {
      const columns = jobPatchColumns(patch)
      const key = columns.join()
      let shaped = patchStatements.get(key)
      if (shaped === undefined && columns.length > 0 && patchStatements.size < MAX_PATCH_SHAPES) {
        patchStatements.set(key, (shaped = { columns, statement: connection.prepare(patchJobColumns(columns)) }))
      }
      const { changes } = shaped !== undefined
        ? shaped.statement.run(jobPatchColumnParams(shaped.columns, invocationId, name, patch))
        : s.patchJob.run(jobPatchParams(invocationId, name, patch))
      if (changes === 0) throw new MissingRow(`no job ${name} in invocation ${invocationId}`)
    }

    /**
     * updateJob's writes wait for the end of the event loop's turn and go in one transaction
     * (issue 13: a burst of jobs made two transactions per job, ~150 µs each). Each caller hears
     * of its own patch: a missing row fails only that one; a failed transaction fails them all.
     */
    let queued: Array<{ invocationId: string; name: string; patch: JobPatch; resume: (written: Effect.Effect<void, StoreError>) => void }> = []
    const failed = (operation: string, cause: unknown) => new StoreError({ path: dbPath, operation, cause, fix: fixFor(cause) })
    const flush = (): void => {
      if (queued.length === 0) return
      const batch = queued
      queued = []
      const missing = new Map<number, MissingRow>()
      let failure: StoreError | undefined
      try {
        transaction(() => {
          for (const [i, u] of batch.entries()) {
            try {
              patchOne(u.invocationId, u.name, u.patch)
            } catch (e) {
              if (!(e instanceof MissingRow)) throw e
              missing.set(i, e)
            }
          }
        })
      } catch (cause) {
        failure = failed("updateJob", cause)
      }
      for (const [i, u] of batch.entries()) {
        const gone = missing.get(i)
        u.resume(failure !== undefined ? Effect.fail(failure) : gone !== undefined ? Effect.fail(failed("updateJob", gone)) : Effect.void)
      }
    }

    // Any other statement sees (and follows) every patch queued before it.
    flushQueued = flush

    const store: RepoStore = {
      repoId,
      dbPath,
      isDamaged: () => damaged,
      closeNow: () => connection.close(false),
      repo: attempt("read repo", () => {
        const row = s.getRepo.get([repoId])
        if (!row) throw new Error(`no repo row for ${repoId}`)
        return decodeRepo(row)
      }),
      insertInvocation: (inv, jobs) =>
        attempt("insertInvocation", () =>
          transaction(() => {
            s.insertInvocation.run(invocationParams(inv))
            for (const job of jobs) s.insertJob.run(jobInsertParams(job))
          })),
      updateJob: (invocationId, name, patch) =>
        Effect.async<void, StoreError>((resume) => {
          queued.push({ invocationId, name, patch, resume })
          if (queued.length === 1) setImmediate(flush)
        }),
      updateJobs: (updates) =>
        attempt("updateJobs", () =>
          transaction(() => {
            for (const u of updates) patchOne(u.invocationId, u.name, u.patch)
          })),
      setInvocationStatus: (invocationId, status) =>
        attempt("setInvocationStatus", () => {
          const { changes } = s.setInvocationStatus.run([invocationId, status])
          if (changes === 0) throw new MissingRow(`no invocation ${invocationId}`)
        }),
      getInvocation: (invocationId) =>
        attempt("getInvocation", () => {
          const row = s.getInvocation.get([invocationId])
          return row ? decodeInvocation(row) : undefined
        }),
      getJob: (invocationId, name) =>
        attempt("getJob", () => {
          const row = s.getJob.get([invocationId, name])
          return row ? decodeJob(row) : undefined
        }),
      jobStatusesOfInvocation: (invocationId) =>
        attempt("jobStatusesOfInvocation", () => s.jobStatusesOfInvocation.all([invocationId]).map((row) => toJobStatus(String(row.status)))),
      jobsOfInvocation: (invocationId) =>
        attempt("jobsOfInvocation", () => s.jobsOfInvocation.all([invocationId]).map(decodeJob)),
      waitedJobsOfInvocation: (invocationId) =>
        attempt("waitedJobsOfInvocation", () => s.waitedJobsOfInvocation.all([invocationId]).map(decodeJob)),
      listJobs: (filter, keyset) =>
        attempt("listJobs", () =>
          (filter.unnoticedFirst === true ? s.listJobsUnnoticedFirst : s.listJobs).all([
            ...filterParams(filter),
            filter.limit ?? -1, // SQLite: a negative LIMIT means none
            keyset?.createdAt ?? Number.MAX_SAFE_INTEGER,
            KEYSET_MODES[keyset?.mode ?? "at-or-before"],
            keyset?.invocationRowid ?? 0,
            keyset?.jobRowid ?? 0
          ]).map(decodeListedJob)),
      countJobs: (filter) =>
        attempt("countJobs", () => {
          const query = countJobsQuery(filter)
          let statement = countStatements.get(query.key)
          if (statement === undefined) countStatements.set(query.key, (statement = connection.prepare(query.sql)))
          return Number(statement.get(query.params)?.total ?? 0)
        }),
      invocationIdsByPrefix: (prefix) =>
        attempt("invocationIdsByPrefix", () =>
          s.invocationIdsByPrefix.all([prefix]).map((row) => String(row.invocation_id))),
      newestInvocationWithJob: (name) =>
        attempt("newestInvocationWithJob", () => {
          const row = s.newestInvocationWithJob.get([name])
          return row ? String(row.invocation_id) : undefined
        }),
      newestJobInWorktree: (worktree, name, statuses) =>
        attempt("newestJobInWorktree", () => {
          const row = s.newestJobInWorktree.get([worktree, name, JSON.stringify(statuses)])
          return row ? decodeJob(row) : undefined
        }),
      nonTerminalJobs: () => attempt("nonTerminalJobs", () => s.nonTerminalJobs.all().map(decodeJob)),
      listInvocationsWithJobs: () =>
        attempt("listInvocationsWithJobs", () => {
          const byInvocation = new Map<string, JobRow[]>()
          for (const job of s.allJobs.all().map(decodeJob)) {
            const list = byInvocation.get(job.invocation_id)
            if (list) list.push(job)
            else byInvocation.set(job.invocation_id, [job])
          }
          return s.allInvocations.all().map(decodeInvocation).map((invocation) => ({
            invocation,
            jobs: byInvocation.get(invocation.invocation_id) ?? []
          }))
        }),
      invocationSummaries: (after, limit) =>
        attempt("invocationSummaries", () => {
          const rows = s.invocationSummaries.all([after?.createdAt ?? -1, after?.rowid ?? -1, limit])
          const summaries = rows.map(decodeInvocationSummary)
          const last = rows.at(-1)
          return {
            summaries,
            cursor: last !== undefined && rows.length === limit ? { createdAt: Number(last.created_at), rowid: Number(last.rid) } : undefined
          }
        }),
      existingInvocations: (ids) =>
        attempt("existingInvocations", () =>
          new Set(ids.length === 0 ? [] : s.existingInvocations.all([JSON.stringify(ids)]).map((row) => String(row.invocation_id)))),
      deleteInvocations: (ids) =>
        attempt("deleteInvocations", () =>
          transaction(() =>
            ids.reduce((deleted, id) => deleted + s.deleteInvocation.run([id]).changes, 0))),
      takeFailureNotices: (now) =>
        attempt("takeFailureNotices", () =>
          transaction(() => {
            const rows = s.pendingNotices.all([]).map(decodeFailureNotice)
            for (const row of rows) s.markNotified.run([row.invocation_id, row.name, now])
            return rows
          })),
      getPolicy: () =>
        attempt("getPolicy", () => {
          const row = s.getPolicy.get()
          return row ? decodePolicy(row) : undefined
        }),
      putPolicy: (policy) =>
        attempt("putPolicy", () => {
          s.putPolicy.run([
            policy.retention_secs,
            policy.keep_last,
            policy.max_total_bytes,
            policy.stale_running_after_secs,
            Date.now()
          ])
        })
    }
    return store
  })
}
