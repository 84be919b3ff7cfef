// Steps 2–4 of bring-up (SPEC §4) on an open connection, in an order that writes nothing until the
// database is known to be ours: EXCLUSIVE locking first (WAL needs it with this VFS, and a WAL file
// cannot even be read without it), then the identity check, then WAL and the other pragmas, then
// stamping and migrations.
import { Effect } from "effect"
import type { Connection } from "./connection"
import { sqliteStep } from "./connection"
import { type DatabaseLocked, type ForeignDatabase, type NewerSchema, StoreError } from "./errors"
import { HOOKD_APPLICATION_ID, refuseUnlessOurs } from "./header"
import { type Migration, newestVersion, pendingMigrations } from "./migrations"

const pragmaNumber = (connection: Connection, pragma: string): number => {
  const row = connection.db.get(`PRAGMA ${pragma}`)
  return Number(row?.[pragma] ?? 0)
}

/** Apply each pending migration in its own transaction, setting user_version inside it. */
export const applyMigrations = (
  connection: Connection,
  migrations: ReadonlyArray<Migration>,
  currentVersion: number
): Effect.Effect<number, StoreError | DatabaseLocked> =>
  Effect.forEach(
    pendingMigrations(migrations, currentVersion),
    (migration) =>
      sqliteStep(connection.path, `migration ${migration.version}_${migration.name}`, () => {
        connection.db.exec("BEGIN")
        try {
          connection.db.exec(migration.sql)
          // PRAGMAs take no parameters; the version is an integer parsed from the file name.
          connection.db.exec(`PRAGMA user_version = ${Math.trunc(migration.version)}`)
          connection.db.exec("COMMIT")
        } catch (error) {
          if (connection.db.inTransaction) connection.db.exec("ROLLBACK")
          throw error
        }
      }),
    { discard: true }
  ).pipe(Effect.as(Math.max(currentVersion, newestVersion(migrations))))

export const bringUp = (
  connection: Connection,
  migrations: ReadonlyArray<Migration>
): Effect.Effect<void, ForeignDatabase | NewerSchema | DatabaseLocked | StoreError> =>
  Effect.gen(function* () {
    const path = connection.path
    const step = <A>(operation: string, run: () => A) => sqliteStep(path, operation, run)

    yield* step("set locking_mode", () => connection.db.exec("PRAGMA locking_mode=EXCLUSIVE"))
    // The first read takes the `<db>.lock` directory: this is where a held lock shows up.
    const applicationId = yield* step("read application_id", () => pragmaNumber(connection, "application_id"))
    const userVersion = yield* step("read user_version", () => pragmaNumber(connection, "user_version"))
    yield* refuseUnlessOurs(path, applicationId, userVersion, newestVersion(migrations))

    const journalMode = yield* step("set journal_mode", () =>
      String(connection.db.get("PRAGMA journal_mode=WAL")?.journal_mode ?? ""))
    if (journalMode.toLowerCase() !== "wal") {
      return yield* new StoreError({
        path,
        operation: "set journal_mode",
        cause: new Error(`journal_mode answered ${journalMode}, expected wal`)
      })
    }
    connection.markWalReady()
    yield* step("set synchronous", () => connection.db.exec("PRAGMA synchronous=NORMAL"))
    yield* step("set foreign_keys", () => connection.db.exec("PRAGMA foreign_keys=ON"))
    if (applicationId === 0) {
      yield* step("stamp application_id", () =>
        connection.db.exec(`PRAGMA application_id = ${HOOKD_APPLICATION_ID}`))
    }
    yield* applyMigrations(connection, migrations, userVersion)
  })
