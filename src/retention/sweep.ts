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
import { planRetention, type RetentionDecision } from "../domain/retention"
import { repoDir } from "../protocol/paths"
import type { StoreError } from "../store/errors"
import type { RepoStore } from "../store/repo-store"
import { SweepIoError } from "./errors"
import { effectivePolicy, type RepoRetentionPolicy } from "./policy"
import { findStaleJobs, retentionInput, type StaleJob } from "./snapshot"

export interface SweepTarget {
  readonly stateDir: string
  readonly repoId: string
  readonly store: Pick<RepoStore, "listInvocationsWithJobs" | "deleteInvocations" | "getPolicy">
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

/** Reads rows and policy and decides; writes nothing. */
export const planRepo = (target: SweepTarget, options: Omit<SweepOptions, "dryRun">) =>
  Effect.gen(function* () {
    const rows = yield* target.store.listInvocationsWithJobs()
    const policy: RepoRetentionPolicy = effectivePolicy(yield* target.store.getPolicy())
    const decisions = planRetention(retentionInput(rows, policy, options.now, options.olderThanSecs))
    return { decisions, stale: findStaleJobs(rows, policy, options.now), policy }
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

interface LogDirEntry {
  readonly name: string
  readonly isDirectory: boolean
  readonly mtimeMs: number
}

const listLogsDir = (target: SweepTarget): Effect.Effect<LogDirEntry[], SweepIoError> => {
  const dir = logsDirOf(target)
  return fsStep("list", dir, () => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch (error) {
      if (isErrno(error, "ENOENT")) return []
      throw error
    }
    const entries: LogDirEntry[] = []
    for (const name of names) {
      try {
        const stat = lstatSync(join(dir, name))
        entries.push({ name, isDirectory: stat.isDirectory(), mtimeMs: stat.mtimeMs })
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error
      }
    }
    return entries
  })
}

/**
 * Finishes what an interrupted sweep started, and removes orphan log directories (no rows, older
 * than ORPHAN_MIN_AGE_MS). The directory listing is taken BEFORE the rows are read: the runner
 * inserts rows before it creates a log directory, so every directory listed whose invocation is
 * alive already has its rows in the read that follows. Names hookd does not recognise are left alone.
 */
export const healLeftovers = (target: SweepTarget, now: number) =>
  Effect.gen(function* () {
    const entries = yield* listLogsDir(target)
    const rows = yield* target.store.listInvocationsWithJobs()
    const known = new Set(rows.map((r) => r.invocation.invocation_id))

    const leftovers = entries
      .filter((e) => e.name.startsWith(DELETING_PREFIX) && INVOCATION_ID.test(e.name.slice(DELETING_PREFIX.length)))
      .map((e) => e.name.slice(DELETING_PREFIX.length))
    yield* deleteRows(target, leftovers.filter((id) => known.has(id)))
    yield* removeMarked(target, leftovers)

    const orphans = entries
      .filter((e) => e.isDirectory && INVOCATION_ID.test(e.name) && !known.has(e.name) && now - e.mtimeMs >= ORPHAN_MIN_AGE_MS)
      .map((e) => e.name)
    yield* Effect.forEach(
      orphans,
      (id) => {
        const path = join(logsDirOf(target), id)
        return fsStep("remove", path, () => rmSync(path, { recursive: true, force: true }))
      },
      { discard: true }
    )
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
    const ids = plan.decisions.map((d) => d.invocation_id)
    yield* markForDeletion(target, ids)
    yield* deleteRows(target, ids)
    yield* removeMarked(target, ids)
    return { repoId: target.repoId, dryRun: false, decisions: plan.decisions, healed, orphans, stale: plan.stale } satisfies RepoSweepResult
  })
