// Store: bring-up on open (SPEC §4) — modes, identity, schema version, locks.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs"
import { dirname } from "node:path"
import { HOOKD_APPLICATION_ID } from "../../src/store/header"
import { loadMigrations, newestVersion } from "../../src/store/migrations"
import { clearStaleLock, openRepoStore } from "../../src/store/open"
import { Store, StoreLive } from "../../src/store/service"
import { freshDbPath, invocation, rawRows, tempDir, useTempDirs, withRawDb } from "./helpers"

useTempDirs()

const repoId = "0123456789abcdef"
const open = (dbPath: string, root = "/repo") => openRepoStore({ dbPath, repoId, root })
const openAndClose = (dbPath: string) => Effect.scoped(Effect.asVoid(open(dbPath)))
const modeOf = (path: string) => statSync(path).mode & 0o777
const knownVersion = Effect.runSync(loadMigrations().pipe(Effect.map(newestVersion)))

describe("Store: bring-up", () => {
  it.scopedLive("a fresh db gets 0600 in a 0700 dir, hookd's application_id and the current user_version", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* open(dbPath)
      expect(modeOf(dirname(dbPath))).toBe(0o700)
      expect(modeOf(dbPath)).toBe(0o600)
      expect(modeOf(`${dbPath}-wal`)).toBe(0o600)
      expect(existsSync(`${dbPath}.lock`)).toBe(true)
    }))

  it.live("the header carries the app id and version, and the tables of v1 exist", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      expect(existsSync(`${dbPath}.lock`)).toBe(false) // closing released the lock
      const header = readFileSync(dbPath).subarray(0, 100)
      expect(header.readUInt32BE(68)).toBe(HOOKD_APPLICATION_ID)
      expect(header.readUInt32BE(60)).toBe(knownVersion)
      expect(knownVersion).toBeGreaterThanOrEqual(1)
      const tables = rawRows(dbPath, "SELECT name FROM sqlite_schema WHERE type IN ('table','index') ORDER BY name")
        .map((r) => r.name)
      expect(tables).toEqual(expect.arrayContaining(["repo", "invocations", "jobs", "repo_policy"]))
      expect(rawRows(dbPath, "PRAGMA journal_mode")[0]!.journal_mode).toBe("wal")
    }))

  it.live("reopening works and keeps the data; the repo root is updated when it changed", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* Effect.scoped(Effect.flatMap(open(dbPath, "/old/root"), (s) => s.insertInvocation(invocation(), [])))
      const { repo, inv } = yield* Effect.scoped(
        Effect.flatMap(open(dbPath, "/new/root"), (s) =>
          Effect.all({ repo: s.repo, inv: s.getInvocation(invocation().invocation_id) })))
      expect(repo.root).toBe("/new/root")
      expect(repo.repo_id).toBe(repoId)
      expect(inv).toEqual(invocation())
    }))

  it.live("reopening with an empty root (a database found on disk) keeps the recorded root", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      const before = yield* Effect.scoped(Effect.flatMap(open(dbPath, "/the/root"), (s) => s.repo))
      const after = yield* Effect.scoped(Effect.flatMap(open(dbPath, ""), (s) => s.repo))
      expect(before.root).toBe("/the/root")
      expect(after.root).toBe("/the/root")
    }))

  it.live("a db chmod'ed 0644 is refused with the chmod that fixes it", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      chmodSync(dbPath, 0o644)
      const error = yield* Effect.flip(openAndClose(dbPath))
      expect(error._tag).toBe("PermissionsTooOpen")
      if (error._tag !== "PermissionsTooOpen") return
      expect(error.path).toBe(dbPath)
      expect(error.mode).toBe(0o644)
      expect(error.fix).toBe(`chmod 600 ${dbPath}`)
      expect(error.message).toContain(`chmod 600 ${dbPath}`)
    }))

  it.live("a directory chmod'ed 0755 is refused with the chmod that fixes it", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      chmodSync(dirname(dbPath), 0o755)
      const error = yield* Effect.flip(openAndClose(dbPath))
      expect(error._tag).toBe("PermissionsTooOpen")
      expect(error.message).toContain(`chmod 700 ${dirname(dbPath)}`)
    }))

  it.live("a plain SQLite file with another application_id is refused and left alone", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 })
      execFileSync("sqlite3", [dbPath, "PRAGMA application_id = 1234; CREATE TABLE other(x); INSERT INTO other VALUES (1);"])
      chmodSync(dbPath, 0o600)
      const before = readFileSync(dbPath)
      const error = yield* Effect.flip(openAndClose(dbPath))
      expect(error._tag).toBe("ForeignDatabase")
      expect(error.message).toContain("not a hookd database")
      expect(error.message).toContain(dbPath)
      expect(readFileSync(dbPath).equals(before)).toBe(true)
    }))

  it.live("a file that is not SQLite at all is refused as foreign", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 })
      execFileSync("sh", ["-c", `umask 077; echo 'hello, not a database' > '${dbPath}'`])
      const error = yield* Effect.flip(openAndClose(dbPath))
      expect(error._tag).toBe("ForeignDatabase")
    }))

  it.live("a db whose user_version is one higher than known is refused and left byte-identical", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      withRawDb(dbPath, (db) => db.exec(`PRAGMA user_version = ${knownVersion + 1}`))
      expect(existsSync(`${dbPath}-wal`)).toBe(false) // the raw close checkpointed: the header is on disk
      const before = readFileSync(dbPath)
      const error = yield* Effect.flip(openAndClose(dbPath))
      expect(error._tag).toBe("NewerSchema")
      if (error._tag !== "NewerSchema") return
      expect(error.found).toBe(knownVersion + 1)
      expect(error.known).toBe(knownVersion)
      expect(error.message).toContain("newer hookd")
      expect(readFileSync(dbPath).equals(before)).toBe(true)
      expect(existsSync(`${dbPath}.lock`)).toBe(false)
    }))

  it.scopedLive("a second opener in the same process gets DatabaseLocked while the first holds it", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const first = yield* open(dbPath)
      const error = yield* Effect.flip(openAndClose(dbPath))
      expect(error._tag).toBe("DatabaseLocked")
      expect(error.message).toContain("another process")
      expect(error.message).toContain(`${dbPath}.lock`)
      // The failed attempt must not have released the first connection's lock.
      expect(existsSync(`${dbPath}.lock`)).toBe(true)
      yield* first.insertInvocation(invocation(), [])
      expect(yield* first.invocationIdsByPrefix("aaaa")).toEqual([invocation().invocation_id])
    }))

  it.live("the lock is released when the scope closes, so the next open succeeds", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      yield* openAndClose(dbPath)
      expect(existsSync(`${dbPath}.lock`)).toBe(false)
    }))

  it.live("a stale .lock directory blocks opening until clearStaleLock removes it", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* openAndClose(dbPath)
      mkdirSync(`${dbPath}.lock`) // what a SIGKILLed supervisor leaves
      expect((yield* Effect.flip(openAndClose(dbPath)))._tag).toBe("DatabaseLocked")
      expect(yield* clearStaleLock(dbPath)).toBe(true)
      expect(yield* clearStaleLock(dbPath)).toBe(false)
      yield* openAndClose(dbPath)
    }))

  it.scopedLive("clearStaleLock never removes the lock of a database this process has open", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* open(dbPath)
      expect(yield* clearStaleLock(dbPath)).toBe(false)
      expect(existsSync(`${dbPath}.lock`)).toBe(true)
    }))

  it.live("a missing state directory is created 0700 all the way down", () =>
    Effect.gen(function* () {
      const state = tempDir()
      const dbPath = `${state}/deep/state/repos/${repoId}/coordinator.db`
      yield* openAndClose(dbPath)
      expect(modeOf(`${state}/deep`)).toBe(0o700)
      expect(modeOf(dirname(dbPath))).toBe(0o700)
    }))
})

describe("Store: service", () => {
  it.live("StoreLive provides open and clearStaleLock", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const store = yield* Store
      const repoStore = yield* Effect.scoped(Effect.flatMap(store.open({ dbPath, repoId, root: "/svc" }), (s) => s.repo))
      expect(repoStore.root).toBe("/svc")
      expect(yield* store.clearStaleLock(dbPath)).toBe(false)
    }).pipe(Effect.provide(StoreLive)))
})
