// One node-sqlite3-wasm connection and the statements prepared on it. The library is synchronous
// WASM: statements and databases must be finalized/closed by hand, and a database left open when
// the process exits leaves its `<db>.lock` directory behind (EFFECT-PROTOTYPES §5) — so every open
// connection is registered and an `exit` hook closes whatever is still open.
import { Effect } from "effect"
import { createRequire } from "node:module"
import type { Database, Statement } from "node-sqlite3-wasm"
import { resolve } from "node:path"
import { DatabaseLocked, StoreError } from "./errors"

// node-sqlite3-wasm is CommonJS whose named exports Node's ESM loader cannot detect, and it stays
// external in the bundle (it loads its .wasm from beside itself): load it with a real `require`.
const sqlite3 = createRequire(import.meta.url)("node-sqlite3-wasm") as typeof import("node-sqlite3-wasm")

export class Connection {
  private readonly statements: Statement[] = []
  private walReady = false

  constructor(readonly path: string, readonly db: Database) {}

  /** Prepare once per connection; finalized by `close`. */
  prepare(sql: string): Statement {
    const statement = this.db.prepare(sql)
    this.statements.push(statement)
    return statement
  }

  /** After bring-up succeeded: closing checkpoints the WAL into the main file. */
  markWalReady(): void {
    this.walReady = true
  }

  /** Checkpoint (when brought up), finalize every statement, close. Never throws: it runs in finalizers. */
  close(): void {
    openConnections.delete(this)
    if (!this.db.isOpen) return
    if (this.walReady) {
      try {
        this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
      } catch {
        // A failed checkpoint is not data loss: the WAL is replayed on the next open.
      }
    }
    for (const statement of this.statements.splice(0)) {
      try {
        if (!statement.isFinalized) statement.finalize()
      } catch {
        // keep finalizing the rest; close() below releases the lock either way
      }
    }
    try {
      this.db.close()
    } catch {
      // nothing more to do
    }
  }
}

const openConnections = new Set<Connection>()
let exitHookInstalled = false

const installExitHook = (): void => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // `process.exit()` or an uncaught exception would otherwise leave `<db>.lock` and block the next start.
  process.on("exit", () => {
    for (const connection of [...openConnections]) connection.close()
  })
}

/** True when this process has `dbPath` open (its `.lock` directory is ours, not stale). */
export const isOpenInThisProcess = (dbPath: string): boolean => {
  const wanted = resolve(dbPath)
  for (const connection of openConnections) if (resolve(connection.path) === wanted) return true
  return false
}

const isLockedError = (cause: unknown): boolean =>
  cause instanceof Error && /database is locked|SQLITE_BUSY/i.test(cause.message)

/** Run one synchronous SQLite step; "database is locked" becomes DatabaseLocked, anything else StoreError. */
export const sqliteStep = <A>(
  path: string,
  operation: string,
  step: () => A
): Effect.Effect<A, StoreError | DatabaseLocked> =>
  Effect.try({ try: step, catch: (cause) => cause }).pipe(
    Effect.mapError((cause) =>
      isLockedError(cause) ? new DatabaseLocked({ path }) : new StoreError({ path, operation, cause })
    )
  )

/** Open (not yet brought up) and register for the exit hook. Opening itself touches no file. */
export const openConnection = (path: string): Effect.Effect<Connection, StoreError | DatabaseLocked> =>
  sqliteStep(path, "open", () => {
    const connection = new Connection(path, new sqlite3.Database(path))
    installExitHook()
    openConnections.add(connection)
    return connection
  })

/** Run `body` in one transaction with prepared BEGIN/COMMIT/ROLLBACK; roll back if it throws. */
export const makeTransactor = (connection: Connection): (<A>(body: () => A) => A) => {
  const begin = connection.prepare("BEGIN")
  const commit = connection.prepare("COMMIT")
  const rollback = connection.prepare("ROLLBACK")
  return (body) => {
    begin.run()
    try {
      const result = body()
      commit.run()
      return result
    } catch (error) {
      if (connection.db.inTransaction) rollback.run()
      throw error
    }
  }
}
