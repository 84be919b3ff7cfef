// Store: migrations — the runner applies what a database lacks, in order, one transaction each.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import {
  loadMigrations,
  type Migration,
  MIGRATIONS_DIR,
  orderMigrations,
  parseMigrationFileName,
  pendingMigrations
} from "../../src/store/migrations"
import { openRepoStore } from "../../src/store/open"
import { freshDbPath, rawRows, tempDir, useTempDirs, withRawDb } from "./helpers"

useTempDirs()

const m = (version: number, name: string, sql: string): Migration => ({ version, name, sql })
const openWith = (dbPath: string, migrations: ReadonlyArray<Migration>) =>
  Effect.scoped(Effect.asVoid(openRepoStore({ dbPath, repoId: "0123456789abcdef", root: "/r", migrations })))
/**
 * A database as an older build left it: only `migrations` applied, by raw SQL (this build's store
 * prepares statements for the newest schema), with one invocation of two jobs in /repo.
 */
const olderDatabase = (dbPath: string, migrations: ReadonlyArray<Migration>): void => {
  mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 })
  withRawDb(dbPath, (db) => {
    for (const migration of migrations) db.exec(migration.sql)
    db.exec(`PRAGMA user_version = ${migrations.length}`)
    db.exec(`INSERT INTO invocations (invocation_id, hook, worktree, created_at, status, supervisor_pid)
      VALUES ('aaaa000000000001', 'post-checkout', '/repo', 1000, 'completed', 1)`)
    db.exec(`INSERT INTO jobs (invocation_id, name, hook, worktree, command, status, needs_json) VALUES
      ('aaaa000000000001', 'install', 'post-checkout', '/repo', 'npm install', 'completed', '[]'),
      ('aaaa000000000001', 'build', 'post-checkout', '/repo', 'npm run build', 'completed', '["install"]')`)
  })
  chmodSync(dbPath, 0o600)
}
const userVersion = (dbPath: string) => Number(rawRows(dbPath, "PRAGMA user_version")[0]!.user_version)
const tableNames = (dbPath: string) =>
  rawRows(dbPath, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").map((r) => r.name)

describe("Store: migrations", () => {
  it("file names parse to version and name; anything else is not a migration", () => {
    expect(parseMigrationFileName("001_initial.sql")).toEqual({ version: 1, name: "initial" })
    expect(parseMigrationFileName("012_add-index.sql")).toEqual({ version: 12, name: "add-index" })
    expect(parseMigrationFileName("1_short.sql")).toBeUndefined()
    expect(parseMigrationFileName("001_initial.sql.bak")).toBeUndefined()
  })

  it("versions must run 1, 2, 3 without gaps or duplicates", () => {
    expect(orderMigrations([m(2, "b", ""), m(1, "a", "")])).toEqual([m(1, "a", ""), m(2, "b", "")])
    expect(orderMigrations([m(1, "a", ""), m(3, "c", "")])).toContain("found 3")
    expect(orderMigrations([m(1, "a", ""), m(1, "again", "")])).toContain("found 1")
  })

  it("pending migrations are those above the current version, in order", () => {
    const all = [m(3, "c", ""), m(1, "a", ""), m(2, "b", "")]
    expect(pendingMigrations(all, 1).map((x) => x.version)).toEqual([2, 3])
    expect(pendingMigrations(all, 3)).toEqual([])
  })

  it.live("MIGRATIONS_DIR holds the shipped migrations, starting with 001_initial.sql", () =>
    Effect.gen(function* () {
      expect(readdirSync(MIGRATIONS_DIR)).toContain("001_initial.sql")
      const migrations = yield* loadMigrations()
      expect(migrations[0]).toEqual(m(1, "initial", readFileSync(join(MIGRATIONS_DIR, "001_initial.sql"), "utf8")))
    }))

  it.live("a badly named .sql file in the migrations dir is an error, not a silent skip", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      writeFileSync(join(dir, "001_ok.sql"), "CREATE TABLE a(x);")
      writeFileSync(join(dir, "two.sql"), "CREATE TABLE b(x);")
      const error = yield* Effect.flip(loadMigrations(dir))
      expect(error.message).toContain("two.sql")
    }))

  it.live("migrations apply in order on an older db, and only the missing ones", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const shipped = yield* loadMigrations()
      const n = shipped.length
      const older = [...shipped, m(n + 1, "create", "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);")]
      yield* openWith(dbPath, older)
      expect(userVersion(dbPath)).toBe(n + 1)
      // The newer migration depends on the older one; had that run again, its INSERT would duplicate the row.
      const newer = [...older, m(n + 2, "extend", "ALTER TABLE a ADD COLUMN y TEXT; UPDATE a SET y = 'two';")]
      yield* openWith(dbPath, newer)
      expect(userVersion(dbPath)).toBe(n + 2)
      expect(rawRows(dbPath, "SELECT x, y FROM a")).toEqual([{ x: 1, y: "two" }])
    }))

  it.live("a v0 (empty) db gets the shipped schema, and an injected second migration applies after it", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const shipped = yield* loadMigrations()
      yield* openWith(dbPath, shipped)
      expect(userVersion(dbPath)).toBe(shipped.length)
      const next = m(shipped.length + 1, "later", "CREATE TABLE later_table (id INTEGER PRIMARY KEY);")
      yield* openWith(dbPath, [...shipped, next])
      expect(userVersion(dbPath)).toBe(shipped.length + 1)
      expect(tableNames(dbPath)).toEqual(expect.arrayContaining(["jobs", "later_table"]))
    }))

  it.live("a v1 db made by the first migration set, with data, gets the later indexes and columns and keeps its rows", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const shipped = yield* loadMigrations()
      expect(shipped.map((x) => x.version).slice(0, 2)).toEqual([1, 2])
      olderDatabase(dbPath, shipped.slice(0, 1))
      expect(userVersion(dbPath)).toBe(1)
      const jobs = yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* openRepoStore({ dbPath, repoId: "0123456789abcdef", root: "/r", migrations: shipped })
          return yield* store.listJobs({})
        })
      )
      expect(userVersion(dbPath)).toBe(shipped.length)
      expect(jobs.map((j) => j.name)).toEqual(["install", "build"])
      const indexes = rawRows(dbPath, "SELECT name FROM sqlite_schema WHERE type = 'index'").map((r) => r.name)
      expect(indexes).toEqual(expect.arrayContaining(["invocations_by_created", "jobs_by_invocation"]))
    }))

  it.live("a v2 db with data gets 003's input_key/input_match columns (null on old rows) and its index", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const shipped = yield* loadMigrations()
      expect(shipped[2]?.name).toBe("input_keys")
      olderDatabase(dbPath, shipped.slice(0, 2))
      expect(userVersion(dbPath)).toBe(2)
      const found = yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* openRepoStore({ dbPath, repoId: "0123456789abcdef", root: "/r", migrations: shipped })
          return yield* store.newestJobInWorktree("/repo", "install", ["completed"])
        })
      )
      expect(userVersion(dbPath)).toBe(shipped.length)
      expect(found).toMatchObject({ name: "install", status: "completed", input_key: null, input_match: null })
      const indexes = rawRows(dbPath, "SELECT name FROM sqlite_schema WHERE type = 'index'").map((r) => r.name)
      expect(indexes).toContain("jobs_by_worktree_name")
    }))

  it.live("a failing migration rolls back entirely and leaves user_version where it was", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const shipped = yield* loadMigrations()
      const n = shipped.length
      yield* openWith(dbPath, shipped)
      const broken = m(n + 1, "broken", "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);")
      const error = yield* Effect.flip(openWith(dbPath, [...shipped, broken]))
      expect(error._tag).toBe("StoreError")
      expect(error.message).toContain(`migration ${n + 1}_broken`)
      expect(userVersion(dbPath)).toBe(n)
      expect(tableNames(dbPath)).not.toContain("half")
    }))
})
