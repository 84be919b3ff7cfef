// One node-sqlite3-wasm connection and the statements prepared on it. The library is synchronous
// WASM: statements and databases must be finalized/closed by hand, and a database left open when
// the process exits leaves its `<db>.lock` directory behind (EFFECT-PROTOTYPES §5) — so every open
// connection is registered and an `exit` hook closes whatever is still open.
import { Effect } from "effect"
import { createRequire } from "node:module"
import type { BindValues, Database, QueryResult, RunResult, Statement } from "node-sqlite3-wasm"
import { resolve } from "node:path"
import { setFlagsFromString } from "node:v8"
import type * as Fs from "node:fs"
import { readWholeFile } from "./whole-file"
import { DatabaseLocked, StoreError } from "./errors"

// node-sqlite3-wasm is CommonJS whose named exports Node's ESM loader cannot detect, and it stays
// external in the bundle (it loads its .wasm from beside itself): load it with a real `require`.
// On the first open, not at import: compiling its WASM is a good part of the supervisor's start-up,
// and the supervisor answers its first request before it opens any database.
let sqlite3: typeof import("node-sqlite3-wasm") | undefined
const loadSqlite = (): typeof import("node-sqlite3-wasm") => {
  if (sqlite3 === undefined) {
    // SQLite's WASM runs on V8's baseline compiler only. Tiering hot functions up to TurboFan cost
    // the supervisor ~40 MB of resident code for good and seconds of CPU at start, and our queries
    // are short: measured on the 49,000-job start-up sweep, RSS +13 MB instead of +55 MB and
    // 0.9–1.6 s instead of 3.7 s (loaded machine). Set before the module is compiled; it only
    // concerns WebAssembly (the job log's SIMD escaper, src/jobs/simd-escape.ts, is fine with it too).
    setFlagsFromString("--liftoff-only")
    sqlite3 = withWasmReadOutsideMalloc(() => createRequire(import.meta.url)("node-sqlite3-wasm") as typeof import("node-sqlite3-wasm"))
  }
  return sqlite3
}

/** Whether this process loaded node-sqlite3-wasm (the supervisor's `started` line says so). */
export const sqliteLoaded = (): boolean => sqlite3 !== undefined

/**
 * node-sqlite3-wasm reads its 1.3 MB .wasm with fs.readFileSync while it is required: a malloc'd
 * buffer that, freed at the next collection, would raise glibc's mmap threshold for good
 * (store/whole-file.ts). Its loader offers no other way to hand it the bytes (its `Module` is
 * private), so for that one synchronous require fs.readFileSync answers .wasm files from memory
 * V8 maps itself; the module does not keep the function.
 */
const withWasmReadOutsideMalloc = <A>(load: () => A): A => {
  // The CommonJS `fs` object, the one the library's require("node:fs") gets (an ESM namespace is frozen).
  const fs = createRequire(import.meta.url)("node:fs") as typeof Fs
  const original = fs.readFileSync
  const patched = ((path: Fs.PathOrFileDescriptor, options?: unknown) =>
    options === undefined && typeof path === "string" && path.endsWith(".wasm")
      ? readWholeFile(fs, path)
      : (original as (path: Fs.PathOrFileDescriptor, options?: unknown) => unknown)(path, options)) as typeof fs.readFileSync
  fs.readFileSync = patched
  try {
    return load()
  } finally {
    fs.readFileSync = original
  }
}

/**
 * A prepared statement that recovers from its own failures. SQLite's `sqlite3_reset` reports the
 * error of the statement's last step again, and node-sqlite3-wasm refuses to bind new values when
 * the reset reports one ("Could not reset statement prior to binding new values"): one failed step
 * (a full disk, an I/O error) would poison the statement until the supervisor restarts. So a
 * statement whose use throws is finalized and prepared afresh on its next use.
 */
export class PreparedStatement {
  private statement: Statement | undefined

  // Not prepared here but on first use: a repository opened only to be reconciled or listed must
  // not pay for the thirty statements it never runs (preparing them all was most of an open's time).
  constructor(private readonly db: Database, readonly sql: string) {}

  run(values?: BindValues): RunResult {
    return this.use((s) => s.run(values))
  }

  /**
   * The first row. Reads to the end (every `get` of the store selects one row): a statement left
   * on a row keeps its read transaction open, and after a failed write (a full disk) the pager
   * stays in its error state — failing every later read too — until no read transaction is open.
   */
  get(values?: BindValues): QueryResult | null {
    return this.use((s) => s.all(values)[0] ?? null)
  }

  all(values?: BindValues): QueryResult[] {
    return this.use((s) => s.all(values))
  }

  /** Finalize (at close, or after a failure). Never throws: finalize repeats the last step's error. */
  discard(): void {
    const statement = this.statement
    this.statement = undefined
    if (statement === undefined || statement.isFinalized) return
    try {
      statement.finalize()
    } catch {
      // the error of the failed step, reported once more; the statement is finalized anyway
    }
  }

  private use<A>(body: (statement: Statement) => A): A {
    // Prepared on first use and after a discard: preparing can fail too (the schema is read from disk).
    const statement = (this.statement ??= this.db.prepare(this.sql))
    try {
      return body(statement)
    } catch (error) {
      this.discard()
      throw error
    }
  }
}

export class Connection {
  private readonly statements: PreparedStatement[] = []
  private walReady = false

  constructor(readonly path: string, readonly db: Database) {}

  /** Prepare once per connection; finalized by `close`. */
  prepare(sql: string): PreparedStatement {
    const statement = new PreparedStatement(this.db, sql)
    this.statements.push(statement)
    return statement
  }

  /** After bring-up succeeded: closing checkpoints the WAL into the main file. */
  markWalReady(): void {
    this.walReady = true
  }

  /**
   * Checkpoint (when brought up, unless `checkpoint` is false: a damaged file is left as it is),
   * finalize every statement, close. Never throws: it runs in finalizers. A second call does nothing.
   */
  close(checkpoint = true): void {
    openConnections.delete(this)
    if (!this.db.isOpen) return
    if (this.walReady && checkpoint) {
      try {
        this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
      } catch {
        // A failed checkpoint is not data loss: the WAL is replayed on the next open.
      }
    }
    // discard() never throws: every statement is finalized, and close() below releases the lock.
    for (const statement of this.statements.splice(0)) statement.discard()
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
    const connection = new Connection(path, new (loadSqlite().Database)(path))
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
    // A transaction a failed COMMIT or ROLLBACK left open (a full disk) is rolled back first, so
    // BEGIN works again once there is space.
    if (connection.db.inTransaction) rollback.run()
    begin.run()
    try {
      const result = body()
      commit.run()
      return result
    } catch (error) {
      try {
        if (connection.db.inTransaction) rollback.run()
      } catch {
        // the body's error is the one to report; the next transaction rolls back first
      }
      throw error
    }
  }
}
