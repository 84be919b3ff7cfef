// Retention as a supervisor capability: the start-up and hourly sweeps, `Prune`, and the record
// of the last sweep that `Status` reports (the `hookctl ls` footer). Sweeps and prunes take one
// permit, so an hourly sweep never races a Prune over the same rows and directories.
import { Clock, Context, Effect, Layer } from "effect"
import { summarizeRetention } from "../domain/retention"
import type { PrunedItem, ResponsePayloads } from "../protocol/types"
import { logError, logInfo } from "../logging/event-log"
import { RepoRegistry, type OpenRepo } from "../repos/registry"
import { Settings } from "../settings/settings"
import { sweepRepo, type RepoSweepResult } from "./sweep"

export interface LastSweep {
  readonly at: number
  readonly invocations: number
  readonly bytes: number
}

type SweepError = Effect.Effect.Error<ReturnType<typeof sweepRepo>>

export interface PruneOptions {
  readonly dryRun: boolean
  readonly olderThanSecs?: number
  /**
   * Wraps each repository's sweep: a prune of every repository leaves one that fails out (the
   * caller names it in the answer) and prunes the rest; without it the first failure is the answer.
   */
  readonly eachRepo?: (repo: OpenRepo, sweep: Effect.Effect<RepoSweepResult, SweepError>) => Effect.Effect<RepoSweepResult | undefined, SweepError>
}

export interface RetentionService {
  /** Sweeps every open repo and logs one line; a repo that fails is logged and skipped, never fatal. */
  readonly sweepAll: (reason: "start" | "hourly") => Effect.Effect<void>
  readonly prune: (
    repos: ReadonlyArray<OpenRepo>,
    options: PruneOptions
  ) => Effect.Effect<ResponsePayloads["Pruned"], SweepError>
  readonly lastSweep: () => LastSweep | undefined
  /** The start sweep is done, or was skipped after a clean stop: the start-up work's last step (main.ts). */
  readonly startDone: () => boolean
  readonly skipStart: Effect.Effect<void>
}

export class Retention extends Context.Tag("hookd/Retention")<Retention, RetentionService>() {}

export const SWEEP_INTERVAL = "1 hour"

const itemsOf = (results: ReadonlyArray<RepoSweepResult>): PrunedItem[] =>
  results.flatMap((r) =>
    r.decisions.map((d) => ({
      repo_id: r.repoId,
      invocation_id: d.invocation_id,
      worktree: d.worktree,
      reason: d.reason,
      jobs: d.jobs,
      bytes: d.bytes
    }))
  )

/** The one log line of a sweep: totals, what was healed, and jobs running past `stale_running_after`. */
const sweepLogFields = (reason: string, results: ReadonlyArray<RepoSweepResult>, dryRun: boolean, durationMs: number) => {
  const totals = summarizeRetention(results.flatMap((r) => r.decisions))
  return {
    reason,
    dry_run: dryRun,
    repos: results.length,
    ...totals,
    healed: results.flatMap((r) => r.healed.map((id) => `${r.repoId}/${id}`)),
    orphans: results.flatMap((r) => r.orphans.map((id) => `${r.repoId}/${id}`)),
    stale: results.flatMap((r) =>
      r.stale.map((s) => ({ repo_id: r.repoId, invocation_id: s.invocation_id, job: s.name, status: s.status, since: s.since }))
    ),
    duration_ms: durationMs
  }
}

export const RetentionLive = Layer.effect(
  Retention,
  Effect.gen(function* () {
    const settings = yield* Settings
    const registry = yield* RepoRegistry
    const exclusive = yield* Effect.makeSemaphore(1)
    let last: LastSweep | undefined
    let startDone = false

    const targetOf = (repo: OpenRepo) => ({ stateDir: settings.stateDir, repoId: repo.repoId, store: repo.store })

    const record = (at: number, results: ReadonlyArray<RepoSweepResult>) => {
      const totals = summarizeRetention(results.flatMap((r) => r.decisions))
      last = { at, invocations: totals.invocations, bytes: totals.bytes }
    }

    const sweepAll: RetentionService["sweepAll"] = Effect.fn("Retention.sweepAll")(function* (reason) {
      const now = yield* Clock.currentTimeMillis
      const results: RepoSweepResult[] = []
      for (const repo of (yield* registry.openAll).repos) {
        // Uninterruptible per repo: a shutdown waits for the few renames and one transaction
        // rather than leaving leftovers for the next start to heal.
        const result = yield* sweepRepo(targetOf(repo), { now, dryRun: false }).pipe(
          Effect.uninterruptible,
          Effect.tapError((e) => logError("retention_sweep_failed", { repo_id: repo.repoId, error: e.message })),
          Effect.option
        )
        if (result._tag === "Some") results.push(result.value)
      }
      record(now, results)
      if (reason === "start") startDone = true
      yield* logInfo("retention_sweep", sweepLogFields(reason, results, false, (yield* Clock.currentTimeMillis) - now))
    }, exclusive.withPermits(1))

    const prune: RetentionService["prune"] = Effect.fn("Retention.prune")(function* (repos, options) {
      const now = yield* Clock.currentTimeMillis
      const swept = yield* Effect.forEach(repos, (repo) => {
        const sweep = sweepRepo(targetOf(repo), {
          now,
          dryRun: options.dryRun,
          ...(options.olderThanSecs !== undefined ? { olderThanSecs: options.olderThanSecs } : {})
        }).pipe(Effect.uninterruptible)
        return options.eachRepo !== undefined ? options.eachRepo(repo, sweep) : sweep
      })
      const results = swept.filter((r): r is RepoSweepResult => r !== undefined)
      if (!options.dryRun) record(now, results)
      yield* logInfo("retention_sweep", sweepLogFields("prune", results, options.dryRun, (yield* Clock.currentTimeMillis) - now))
      const items = itemsOf(results)
      return { ...summarizeRetention(items), dry_run: options.dryRun, items }
    }, exclusive.withPermits(1))

    const skipStart = Effect.zipRight(
      Effect.sync(() => {
        startDone = true
      }),
      logInfo("retention_sweep_skipped", { reason: "start after a clean stop", next: "in 1 hour" })
    )
    return { sweepAll, prune, lastSweep: () => last, startDone: () => startDone, skipStart } satisfies RetentionService
  })
)

/**
 * At start (after reconcile) and then every hour, until the supervisor's scope closes. After a
 * clean stop (`afterCleanStop`) there is no start sweep: the last run's sweeps left nothing half
 * done (a sweep is uninterruptible per repo), and opening every repository only for it would load
 * SQLite into an idle supervisor; the first sweep runs an hour after start.
 */
export const retentionSweeps = (options: { readonly afterCleanStop: boolean } = { afterCleanStop: false }) =>
  Effect.flatMap(Retention, (retention) =>
    (options.afterCleanStop ? retention.skipStart : retention.sweepAll("start")).pipe(
      Effect.zipRight(Effect.forever(Effect.delay(retention.sweepAll("hourly"), SWEEP_INTERVAL)))
    )
  )
