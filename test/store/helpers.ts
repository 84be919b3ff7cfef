// Real files in temp dirs: each test gets a private state dir and raw SQLite access for checks
// that must not go through the store (raw columns, header bytes, handcrafted databases).
import { Effect } from "effect"
import { Database } from "node-sqlite3-wasm"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach } from "vitest"
import { firstAttemptFields, type InvocationRow, type JobRow } from "../../src/store/rows"

const made: string[] = []

export const useTempDirs = (): void => {
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
}

/** A fresh private temp dir (mkdtemp makes it 0700). */
export const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "hookd-store-"))
  made.push(dir)
  return dir
}

/** `<state>/repos/<id>/coordinator.db` under a fresh state dir. */
export const freshDbPath = (repoId = "0123456789abcdef"): string =>
  join(tempDir(), "repos", repoId, "coordinator.db")

/** Run `use` on a raw connection to a closed database, with the locking our WAL files need. */
export const withRawDb = <A>(path: string, use: (db: Database) => A): A => {
  const db = new Database(path)
  try {
    db.exec("PRAGMA locking_mode=EXCLUSIVE")
    return use(db)
  } finally {
    db.close()
  }
}

export const rawRows = (path: string, sql: string): Array<Record<string, unknown>> =>
  withRawDb(path, (db) => db.all(sql) as Array<Record<string, unknown>>)

export const flipped = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

export const invocation = (overrides: Partial<InvocationRow> = {}): InvocationRow => ({
  invocation_id: "aaaa000000000001",
  hook: "post-checkout",
  worktree: "/repo",
  args: ["old", "new", "1"],
  created_at: 1_700_000_000_000,
  status: "running",
  supervisor_pid: 4242,
  ...overrides
})

export const job = (overrides: Partial<JobRow> = {}): JobRow => ({
  invocation_id: "aaaa000000000001",
  name: "install",
  hook: "post-checkout",
  worktree: "/repo",
  command: "npm install",
  cwd: null,
  env: { PATH: "/usr/bin" },
  needs: [],
  tags: [],
  background: true,
  status: "queued",
  exit_code: null,
  signal: null,
  pid: null,
  pgid: null,
  proc_start: null,
  queued_at: 1_700_000_000_001,
  started_at: null,
  finished_at: null,
  timeout_ms: 300_000,
  retention_secs: null,
  sampling_every_nth: null,
  max_log_bytes: null,
  log_bytes: 0,
  skip_reason: null,
  error: null,
  input_key: null,
  input_match: null,
  ...firstAttemptFields(),
  ...overrides
})
