// Retention as a supervisor capability: the start-up and hourly sweeps, `Prune`, and the record
// of the last sweep that `Status` reports (the `hookctl ls` footer). Sweeps and prunes take one
// permit, so an hourly sweep never races a Prune over the same rows and directories.
import { Clock, Context, Duration, Effect, Layer } from "effect"
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
  /** The start sweep is skipped (after a clean stop): the last full sweep was at `sweptAt`, the next is in `nextInMs`. */
  readonly skipStart: (sweptAt: number, nextInMs: number) => Effect.Effect<void>
  /** When every repository was last swept (start or hourly), by this run or — after a clean stop — the one before. */
  readonly lastFullSweepAt: () => number | undefined
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
    let lastFullSweepAt: number | undefined

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
      lastFullSweepAt = now
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

    const skipStart = (sweptAt: number, nextInMs: number) =>
      Effect.zipRight(
        Effect.sync(() => {
          startDone = true
          lastFullSweepAt = sweptAt
        }),
        logInfo("retention_sweep_skipped", { reason: "start after a clean stop", swept_at: new Date(sweptAt).toISOString(), next_in_ms: nextInMs })
      )
    return { sweepAll, prune, lastSweep: () => last, startDone: () => startDone, skipStart, lastFullSweepAt: () => lastFullSweepAt } satisfies RetentionService
  })
)

/**
 * At start (after reconcile) and then every hour, until the supervisor's scope closes. After a
 * clean stop (`afterCleanStop`) whose last full sweep (`sweptAt`, carried by the marker) is less
 * than an hour old, there is no start sweep — the last run's sweeps left nothing half done (a sweep
 * is uninterruptible per repo), and opening every repository only for it would load SQLite into
 * an idle supervisor — and the first sweep comes an hour after that last one, so supervisors that
 * idle out and restart every 30 minutes still sweep hourly. Without `sweptAt`, or once it is an
 * hour old, the start sweep runs as after any other start.
 */
export const retentionSweeps = (options: { readonly afterCleanStop: boolean; readonly sweptAt?: number } = { afterCleanStop: false }) =>
  Effect.flatMap(Retention, (retention) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const nextInMs = options.sweptAt !== undefined ? firstSweepDelayMs(options.sweptAt, now) : 0
      const first =
        options.afterCleanStop && options.sweptAt !== undefined && nextInMs > 0
          ? Effect.zipRight(retention.skipStart(options.sweptAt, nextInMs), Effect.delay(retention.sweepAll("hourly"), Duration.millis(nextInMs)))
          : retention.sweepAll("start")
      return first.pipe(Effect.zipRight(Effect.forever(Effect.delay(retention.sweepAll("hourly"), SWEEP_INTERVAL))))
    })
  )

/** How long until the sweep an hour after `sweptAt` (0: due now); never more than an hour, even if the clock went back. */
export const firstSweepDelayMs = (sweptAt: number, now: number): number =>
  Math.min(Duration.toMillis(SWEEP_INTERVAL), Math.max(0, sweptAt + Duration.toMillis(SWEEP_INTERVAL) - now))
