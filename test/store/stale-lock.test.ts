// Store: `<db>.lock` is removed only when its holder is provably gone (issue 14 item 2). A second
// supervisor that wrongly believed it was alone removed a live lock, and both wrote one database.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { clearStaleLock } from "../../src/store/open"
import { freshDbPath, useTempDirs } from "./helpers"

useTempDirs()

const root = join(import.meta.dirname, "..", "..")

// Another process holding the database the way a supervisor does (EXCLUSIVE: the lock stays).
const HOLDER = `
const { Database } = require("node-sqlite3-wasm")
const db = new Database(process.argv[1])
db.exec("PRAGMA locking_mode=EXCLUSIVE")
db.exec("CREATE TABLE IF NOT EXISTS t (x)")
process.stdout.write("held\\n")
process.stdin.on("end", () => { db.close(); process.exit(0) })
process.stdin.resume()
`

const holdDatabase = async (dbPath: string): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ["-e", HOLDER, dbPath], { cwd: root, stdio: ["pipe", "pipe", "inherit"] })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("held") && resolve())
    child.on("exit", (code) => reject(new Error(`holder exited ${code}`)))
  })
  return child
}

const release = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.on("exit", () => resolve())
    child.stdin!.end()
  })

describe("Store: clearing a stale <db>.lock", () => {
  it("never removes the lock of a database another live process has open", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const dbPath = freshDbPath()
        mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 })
        const holder = yield* Effect.promise(() => holdDatabase(dbPath))
        try {
          expect(existsSync(`${dbPath}.lock`)).toBe(true)
          const exit = yield* Effect.exit(clearStaleLock(dbPath))
          expect(existsSync(`${dbPath}.lock`)).toBe(true)
          expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("DatabaseLocked")
          expect(Exit.isFailure(exit) && String((exit.cause as { error?: Error }).error?.message)).toContain(`pid ${holder.pid}`)
        } finally {
          yield* Effect.promise(() => release(holder))
        }
      })
    ))

  it("removes a lock whose holder is gone (killed with the database open)", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const dbPath = freshDbPath()
        mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 })
        const holder = yield* Effect.promise(() => holdDatabase(dbPath))
        yield* Effect.promise(
          () => new Promise<void>((resolve) => (holder.on("exit", () => resolve()), holder.kill("SIGKILL")))
        )
        expect(existsSync(`${dbPath}.lock`)).toBe(true)
        expect(yield* clearStaleLock(dbPath)).toBe(true)
        expect(existsSync(`${dbPath}.lock`)).toBe(false)
      })
    ))

  it("reports no lock to clear when there is none", () =>
    Effect.runPromise(
      Effect.gen(function* () {
        expect(yield* clearStaleLock(freshDbPath())).toBe(false)
      })
    ))
})
