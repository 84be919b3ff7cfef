// Reconcile on start (SPEC §6): the shell around the pure planReconcile. Probes every recorded
// process group, kills orphans whose fingerprint still matches, marks rows terminal and appends
// each job's terminal record.
import { Effect, Layer } from "effect"
import { existsSync, statSync } from "node:fs"
import { recordsOfRow } from "../domain/row-records"
import { endFromTerminalEvent, planReconcile, summarizeReconcile, invocationStatus, type LoggedEnd, type PgidProbe, type ReconcileDecision } from "../domain/reconcile"
import { processFingerprint } from "../jobs/fingerprint"
import { appendTerminalRecord, JobLog, readLastRecord } from "../jobs/job-log"
import type { JobRow } from "../store/rows"
import { groupHasLiveMembers, killGroup } from "../jobs/process-group"
import { jobLogPath } from "../protocol/paths"
import { logError, logInfo, logWarn } from "../logging/event-log"
import { RepoPrepare, type OpenRepo } from "../repos/registry"
import { RunningHere } from "../jobs/running-here"
import { Settings } from "../settings/settings"

/** How the job's log says it ended, when its last record is terminal (its row was never written). */
const loggedEnd = (logPath: string): LoggedEnd | undefined => {
  let size: number
  try {
    size = statSync(logPath).size
  } catch {
    return undefined
  }
  const last = readLastRecord(logPath, size)
  return last?.kind === "status" ? endFromTerminalEvent(last.data) : undefined
}

/**
 * A job that wrote no output has no log file (issue 13): the supervisor that died held its records
 * in memory. Readers make them from the row, which ends below with the decision's status and error;
 * only when that would not read as the records the job had (`started`, then the terminal one) are
 * they written to a file. Returns the file's size (0: none).
 */
const recordWithoutFile = (logPath: string, job: JobRow, d: ReconcileDecision, now: number): number => {
  const log = JobLog.lazy(logPath)
  for (const record of recordsOfRow(job)) if (record.kind === "status") log.status(record.data, record.ts)
  log.status(d.terminalEvent, now)
  const final = { ...job, status: d.newStatus, error: d.reason, ...d.ended, finished_at: now }
  const kept = log.keepUnless(recordsOfRow(final))
  log.close()
  if (!kept) throw log.writeError ?? new Error("the log could not be written")
  return log.bytes
}

/**
 * `runningHere`: jobs this process runs. When a database is opened again in the same process (it
 * was damaged, closed and repaired while jobs ran), their rows are not leftovers: each job's own
 * fiber records its end, so they are neither killed nor marked.
 */
export const reconcileRepo = (repo: OpenRepo, runningHere: (invocationId: string, name: string) => boolean = () => false) =>
  Effect.gen(function* () {
    const settings = yield* Settings
    const leftovers = (yield* repo.store.nonTerminalJobs()).filter((job) => !runningHere(job.invocation_id, job.name))
    if (leftovers.length === 0) return { crashed: 0, cancelled: 0, killed: 0 }
    const probes = new Map<number, PgidProbe>()
    for (const job of leftovers) {
      if (job.pgid !== null && job.pgid > 1 && !probes.has(job.pgid)) {
        probes.set(job.pgid, { pgidAlive: groupHasLiveMembers(job.pgid), currentFingerprint: processFingerprint(job.pgid) })
      }
    }
    const decisions = planReconcile(leftovers, probes)
    const jobOf = new Map(leftovers.map((job) => [`${job.invocation_id}/${job.name}`, job]))
    const now = Date.now()
    // The runner writes log_bytes when a job ends; a crashed job never got there, and retention counts it.
    const logBytes = new Map<ReconcileDecision, number>()
    const loggedEnds = new Map<ReconcileDecision, LoggedEnd>()
    for (const d of decisions) {
      if (d.kill) {
        yield* killGroup(d.kill.pgid, settings.killGraceMs).pipe(
          Effect.catchAll((e) => logWarn("orphan_kill_failed", { repo_id: repo.repoId, job: d.name, pgid: d.kill!.pgid, error: e.message }))
        )
      }
      // A log we cannot append to (disk full, a broken logs dir) must not stop the supervisor from
      // starting: the row still ends terminal below, and the problem is logged.
      const logPath = jobLogPath(settings.stateDir, repo.repoId, d.invocation_id, d.name)
      const job = jobOf.get(`${d.invocation_id}/${d.name}`)!
      yield* Effect.try({
        try: () => {
          if (!existsSync(logPath)) {
            const bytes = recordWithoutFile(logPath, job, d, now)
            if (bytes > 0) logBytes.set(d, bytes)
            return
          }
          const ended = loggedEnd(logPath)
          if (ended !== undefined) loggedEnds.set(d, ended)
          else appendTerminalRecord(logPath, d.terminalEvent, now)
          logBytes.set(d, statSync(logPath).size)
        },
        catch: (e) => e as Error
      }).pipe(
        Effect.catchAll((e) => logWarn("reconcile_log_append_failed", { repo_id: repo.repoId, job: d.name, path: logPath, error: String(e?.message ?? e) }))
      )
    }
    yield* repo.store.updateJobs(
      decisions.map((d) => ({
        invocationId: d.invocation_id,
        name: d.name,
        patch: {
          ...(loggedEnds.get(d) ?? { status: d.newStatus, error: d.reason, ...d.ended, ...(d.ended !== undefined ? { retry_at: null } : {}) }),
          finished_at: now,
          ...(logBytes.has(d) ? { log_bytes: logBytes.get(d)! } : {})
        }
      }))
    )
    for (const invocationId of new Set(decisions.map((d) => d.invocation_id))) {
      yield* repo.store.setInvocationStatus(invocationId, invocationStatus(yield* repo.store.jobStatusesOfInvocation(invocationId)))
    }
    const summary = summarizeReconcile(decisions)
    yield* logInfo("reconciled", { repo_id: repo.repoId, root: repo.root, ...summary })
    return summary
  })

/** Each open of a repository's database in this process reconciles what a previous supervisor left in it (never a job running here). */
export const ReconcileOnOpen = Layer.effect(
  RepoPrepare,
  Effect.map(Effect.all([Settings, RunningHere]), ([settings, here]) => (repo: OpenRepo) =>
    reconcileRepo(repo, (invocationId, name) => here.has(repo.repoId, invocationId, name)).pipe(
      Effect.asVoid,
      Effect.catchAll((e) => logError("reconcile_failed", { repo_id: repo.repoId, error: String(e.message) })),
      Effect.provideService(Settings, settings)
    ))
)
