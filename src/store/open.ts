// Opening a repo's coordinator.db as a scoped resource (SPEC §4): private files, identity checked
// before any write, EXCLUSIVE+WAL, migrations; closing checkpoints, finalizes and closes.
import { Effect, type Scope } from "effect"
import { existsSync, rmdirSync } from "node:fs"
import { bringUp } from "./bring-up"
import { type Connection, isOpenInThisProcess, openConnection } from "./connection"
import { diagnoseOpenFailure } from "./diagnose"
import { DatabaseLocked, type OpenError, type StatePathUnusable, StoreError } from "./errors"
import { processesHolding } from "./lock-holders"
import { checkFileHeader } from "./header"
import { loadMigrations, type Migration, newestVersion } from "./migrations"
import { ensurePrivateFiles } from "./permissions"
import { makeRepoStore, type RepoStore } from "./repo-store"

export interface OpenRepoStoreArgs {
  readonly dbPath: string
  readonly repoId: string
  /** The repo's root; recorded in the repo table and updated when it changed. */
  readonly root: string
  /** Defaults to the files in MIGRATIONS_DIR; tests inject their own lists. */
  readonly migrations?: ReadonlyArray<Migration>
}

const acquire = (args: OpenRepoStoreArgs): Effect.Effect<{ connection: Connection; store: RepoStore }, OpenError> =>
  Effect.gen(function* () {
    const migrations = args.migrations ?? (yield* loadMigrations())
    yield* ensurePrivateFiles(args.dbPath)
    yield* checkFileHeader(args.dbPath, newestVersion(migrations))
    const connection = yield* openConnection(args.dbPath)
    // Until acquire succeeds no finalizer owns the connection: close it here on any failure.
    const store = yield* bringUp(connection, migrations).pipe(
      Effect.zipRight(makeRepoStore(connection, args.repoId, args.root)),
      Effect.onError(() => Effect.sync(() => connection.close()))
    )
    return { connection, store }
  })

/** Opens the database; a failure says what is wrong (a damaged file, a directory hookd may not use) and the fix. */
export const openRepoStore = (args: OpenRepoStoreArgs): Effect.Effect<RepoStore, OpenError, Scope.Scope> =>
  Effect.acquireRelease(acquire(args), ({ connection }) => Effect.sync(() => connection.close())).pipe(
    Effect.map(({ store }) => store),
    Effect.mapError((error: OpenError) => diagnoseOpenFailure(args.dbPath)(error))
  )

/**
 * Remove a `<db>.lock` directory left by a dead supervisor. Only the singleton supervisor calls
 * this (SPEC §4 step 5), and still it proves the holder is gone: a database this process has open
 * is never unlocked, and one another live process has open fails with DatabaseLocked naming it.
 * Returns whether a directory was removed.
 */
export const clearStaleLock = (dbPath: string): Effect.Effect<boolean, StoreError | StatePathUnusable | DatabaseLocked> =>
  Effect.suspend((): Effect.Effect<boolean, StoreError | StatePathUnusable | DatabaseLocked> => {
    if (!existsSync(`${dbPath}.lock`) || isOpenInThisProcess(dbPath)) return Effect.succeed(false)
    const holders = processesHolding(dbPath)
    return holders.length > 0 ? Effect.fail(new DatabaseLocked({ path: dbPath, holders })) : removeLockDir(dbPath)
  })

const removeLockDir = (dbPath: string): Effect.Effect<boolean, StoreError | StatePathUnusable> =>
  Effect.try({
    try: () => {
      try {
        rmdirSync(`${dbPath}.lock`)
        return true
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false
        throw error
      }
    },
    catch: (cause) => new StoreError({ path: `${dbPath}.lock`, operation: "clear stale lock", cause })
  }).pipe(
    // An unreadable repo dir fails here first: report the directory and its fix, not the lock.
    Effect.mapError((error: StoreError) => {
      const diagnosed = diagnoseOpenFailure(dbPath)(error)
      return diagnosed._tag === "DatabaseDamaged" ? error : diagnosed
    })
  )
