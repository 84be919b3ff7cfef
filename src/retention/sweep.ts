// The retention sweep shell (SPEC §9): reads a repo's rows and policy, lets the pure
// `planRetention` decide, then removes rows and log directories together.
//
// Crash safety comes from the order of the three steps for every evicted invocation:
//   1. rename  logs/<inv>  →  logs/.deleting-<inv>
//   2. delete the rows of all evicted invocations in one transaction
//   3. remove the .deleting-<inv> directories
// and from `healLeftovers`, which runs first in every real sweep: a `.deleting-X` whose rows
// still exist (crash between 1 and 2) gets its rows deleted, then the directory; one without
// rows (crash between 2 and 3) is just removed. A crash before 1 left nothing to heal. So no
// sweep ever leaves rows pointing at missing logs, or directories nobody removes.
import { Effect } from "effect"
import { lstatSync, readdirSync, renameSync, rmSync } from "node:fs"
import { join } from "node:path"
import { type InvocationSummary, planRetention, type RetentionDecision } from "../domain/retention"
import { repoDir } from "../protocol/paths"
import { yieldToEventLoop } from "../repos/registry"
import type { StoreError } from "../store/errors"
import type { RepoStore, SummaryCursor } from "../store/repo-store"
import { SweepIoError } from "./errors"
import { effectivePolicy, type RepoRetentionPolicy } from "./policy"
import { findStaleJobs, retentionInput, type StaleJob } from "./snapshot"

export interface SweepTarget {
  readonly stateDir: string
  readonly repoId: string
  readonly store: Pick<
    RepoStore,
    "invocationSummaries" | "existingInvocations" | "nonTerminalJobs" | "deleteInvocations" | "getPolicy"
  >
}

export interface SweepOptions {
  readonly now: number
  readonly dryRun: boolean
  /** `Prune{older_than_secs}`: also evict what finished longer ago than this. */
  readonly olderThanSecs?: number
}

export interface RepoSweepResult {
  readonly repoId: string
  readonly dryRun: boolean
  /** What was (or, in a dry run, would be) removed, oldest first, with the reason. */
  readonly decisions: ReadonlyArray<RetentionDecision>
  /** Invocation ids of `.deleting-*` directories left by an interrupted sweep and finished now. */
  readonly healed: ReadonlyArray<string>
  /** Log directories without any rows, removed. */
  readonly orphans: ReadonlyArray<string>
  readonly stale: ReadonlyArray<StaleJob>
}

export const DELETING_PREFIX = ".deleting-"
const INVOCATION_ID = /^[0-9a-f]{16}$/
/** A log directory with no rows must be this old before it counts as an orphan (not a run being set up). */
export const ORPHAN_MIN_AGE_MS = 60_000
/**
 * Invocations per step: a sweep reads, checks and removes this many at a time and lets other
 * requests run in between, so a 50,000-job history never stalls the supervisor for long.
 */
export const SWEEP_BATCH = 100

export const logsDirOf = (target: Pick<SweepTarget, "stateDir" | "repoId">): string =>
  join(repoDir(target.stateDir, target.repoId), "logs")

// Plain node:fs rather than @effect/platform's FileSystem: it has no lstat (a symlink must not count
// as a log directory), and each step is a synchronous call inside the uninterruptible sweep anyway.
const fsStep = <A>(operation: string, path: string, run: () => A): Effect.Effect<A, SweepIoError> =>
  Effect.try({
    try: run,
    catch: (cause) =>
      new SweepIoError({ path, operation, message: `${operation} ${path}: ${(cause as Error).message ?? String(cause)}`, cause })
  })

const isErrno = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException)?.code === code

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): A[][] => {
  const chunks: A[][] = []
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
  return chunks
}

/** Every invocation's aggregates, SWEEP_BATCH at a time (yielding in between); no job row is read into memory. */
const readSummaries = (target: SweepTarget) =>
  Effect.gen(function* () {
    const all: InvocationSummary[] = []
    let after: SummaryCursor | undefined
    for (;;) {
      const batch = yield* target.store.invocationSummaries(after, SWEEP_BATCH)
      for (const summary of batch.summaries) all.push(summary)
      if (batch.cursor === undefined) return all
      after = batch.cursor
      yield* yieldToEventLoop
    }
  })

/** Reads aggregates and policy and decides; writes nothing. */
export const planRepo = (target: SweepTarget, options: Omit<SweepOptions, "dryRun">) =>
  Effect.gen(function* () {
    const summaries = yield* readSummaries(target)
    const policy: RepoRetentionPolicy = effectivePolicy(yield* target.store.getPolicy())
    const decisions = planRetention(retentionInput(summaries, policy, options.now, options.olderThanSecs))
    const createdAt = new Map(summaries.map((s) => [s.invocation_id, s.created_at]))
    const nonTerminal = yield* target.store.nonTerminalJobs()
    return { decisions, stale: findStaleJobs(nonTerminal, (id) => createdAt.get(id), policy, options.now), policy }
  })

/** Step 1: move each invocation's log directory aside. A missing directory (no logs yet) is fine. */
export const markForDeletion = (target: SweepTarget, ids: ReadonlyArray<string>): Effect.Effect<void, SweepIoError> =>
  Effect.forEach(
    ids,
    (id) => {
      const from = join(logsDirOf(target), id)
      return fsStep("rename", from, () => {
        try {
          renameSync(from, join(logsDirOf(target), DELETING_PREFIX + id))
        } catch (error) {
          if (!isErrno(error, "ENOENT")) throw error
        }
      })
    },
    { discard: true }
  )

/** Step 2: one transaction for all of them; jobs go by cascade. */
export const deleteRows = (target: SweepTarget, ids: ReadonlyArray<string>): Effect.Effect<number, StoreError> =>
  ids.length === 0 ? Effect.succeed(0) : target.store.deleteInvocations(ids)

/** Step 3: remove the moved-aside directories. */
export const removeMarked = (target: SweepTarget, ids: ReadonlyArray<string>): Effect.Effect<void, SweepIoError> =>
  Effect.forEach(
    ids,
    (id) => {
      const path = join(logsDirOf(target), DELETING_PREFIX + id)
      return fsStep("remove", path, () => rmSync(path, { recursive: true, force: true }))
    },
    { discard: true }
  )

/**
 * The entries of the logs dir that may need work: `.deleting-*` leftovers and invocation
 * directories. From the directory listing alone (no stat per entry); a symlink is never a directory.
 */
const listLogsDir = (target: SweepTarget) => {
  const dir = logsDirOf(target)
  return fsStep("list", dir, () => {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.name.startsWith(DELETING_PREFIX) || (e.isDirectory() && INVOCATION_ID.test(e.name)))
        .map((e) => ({ name: e.name, isDirectory: e.isDirectory() }))
    } catch (error) {
      if (isErrno(error, "ENOENT")) return []
      throw error
    }
  })
}

/** Modified at least ORPHAN_MIN_AGE_MS ago (a missing one is not an orphan to remove). */
const oldEnough = (path: string, now: number): boolean => {
  try {
    const stat = lstatSync(path)
    return stat.isDirectory() && now - stat.mtimeMs >= ORPHAN_MIN_AGE_MS
  } catch (error) {
    if (isErrno(error, "ENOENT")) return false
    throw error
  }
}

/**
 * Finishes what an interrupted sweep started, and removes orphan log directories (no rows, older
 * than ORPHAN_MIN_AGE_MS). The directory listing is taken BEFORE the rows are read: the runner
 * inserts rows before it creates a log directory, so every directory listed whose invocation is
 * alive already has its rows in the reads that follow (SWEEP_BATCH names per query). Names hookd
 * does not recognise are left alone.
 */
export const healLeftovers = (target: SweepTarget, now: number) =>
  Effect.gen(function* () {
    const entries = yield* listLogsDir(target)
    const leftovers = entries
      .filter((e) => e.name.startsWith(DELETING_PREFIX) && INVOCATION_ID.test(e.name.slice(DELETING_PREFIX.length)))
      .map((e) => e.name.slice(DELETING_PREFIX.length))
    for (const chunk of chunksOf(leftovers, SWEEP_BATCH)) {
      const known = yield* target.store.existingInvocations(chunk)
      yield* deleteRows(target, chunk.filter((id) => known.has(id)))
      yield* removeMarked(target, chunk)
    }

    const orphans: string[] = []
    const candidates = entries.filter((e) => e.isDirectory && INVOCATION_ID.test(e.name)).map((e) => e.name)
    for (const chunk of chunksOf(candidates, SWEEP_BATCH)) {
      yield* yieldToEventLoop
      const known = yield* target.store.existingInvocations(chunk)
      for (const id of chunk) {
        if (known.has(id)) continue
        const path = join(logsDirOf(target), id)
        if (!(yield* fsStep("stat", path, () => oldEnough(path, now)))) continue
        yield* fsStep("remove", path, () => rmSync(path, { recursive: true, force: true }))
        orphans.push(id)
      }
    }
    return { healed: leftovers, orphans }
  })

/**
 * One repo's sweep. A dry run only plans: it reads the rows and writes nothing — no healing, no
 * renames — so the database and the file tree stay byte-identical.
 */
export const sweepRepo = (target: SweepTarget, options: SweepOptions) =>
  Effect.gen(function* () {
    if (options.dryRun) {
      const plan = yield* planRepo(target, options)
      return { repoId: target.repoId, dryRun: true, decisions: plan.decisions, healed: [], orphans: [], stale: plan.stale } satisfies RepoSweepResult
    }
    const { healed, orphans } = yield* healLeftovers(target, options.now)
    const plan = yield* planRepo(target, options)
    // The three steps per batch: each batch is crash-safe on its own (see the top of this file).
    for (const ids of chunksOf(plan.decisions.map((d) => d.invocation_id), SWEEP_BATCH)) {
      yield* markForDeletion(target, ids)
      yield* deleteRows(target, ids)
      yield* removeMarked(target, ids)
      yield* yieldToEventLoop
    }
    return { repoId: target.repoId, dryRun: false, decisions: plan.decisions, healed, orphans, stale: plan.stale } satisfies RepoSweepResult
  })
