// Schema migrations: `schema/migrations/NNN_name.sql`, applied in number order; the database's
// `user_version` is the highest number applied. Loading and choosing are here; applying is in
// bring-up.ts (it needs a connection).
import { Effect } from "effect"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { StoreError } from "./errors"

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/**
 * The package root: the nearest directory above this module holding package.json. Works both from
 * `src/store/` (tests) and from the bundled `dist/hookd.mjs` (the supervisor).
 */
const packageRoot = (from: string): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir
    if (dirname(dir) === dir) return from
  }
}

export const MIGRATIONS_DIR: string = join(
  packageRoot(dirname(fileURLToPath(import.meta.url))),
  "schema",
  "migrations"
)

const MIGRATION_FILE = /^(\d{3,})_([A-Za-z0-9_-]+)\.sql$/

/** `001_initial.sql` → `{ version: 1, name: "initial" }`; anything else → undefined. */
export const parseMigrationFileName = (file: string): { version: number; name: string } | undefined => {
  const match = MIGRATION_FILE.exec(file)
  return match ? { version: Number(match[1]), name: match[2]! } : undefined
}

/**
 * Validate and sort a set of migrations: versions must be 1, 2, 3, … with no gap or duplicate, so
 * that `user_version` alone says which have been applied.
 */
export const orderMigrations = (migrations: ReadonlyArray<Migration>): ReadonlyArray<Migration> | string => {
  const sorted = [...migrations].sort((a, b) => a.version - b.version)
  for (const [index, migration] of sorted.entries()) {
    if (migration.version !== index + 1) {
      return `migration versions must run 1, 2, 3… without gaps or duplicates; found ${migration.version} ` +
        `(${migration.name}) where ${index + 1} was expected`
    }
  }
  return sorted
}

/** The schema version this build brings a database up to. */
export const newestVersion = (migrations: ReadonlyArray<Migration>): number =>
  migrations.reduce((max, m) => Math.max(max, m.version), 0)

/** The migrations a database at `currentVersion` still needs, in order. */
export const pendingMigrations = (
  migrations: ReadonlyArray<Migration>,
  currentVersion: number
): ReadonlyArray<Migration> =>
  migrations.filter((m) => m.version > currentVersion).sort((a, b) => a.version - b.version)

/** Read every `NNN_name.sql` in `dir`; a `.sql` file with another name is an error, not a silent skip. */
export const loadMigrations = (dir: string = MIGRATIONS_DIR): Effect.Effect<ReadonlyArray<Migration>, StoreError> =>
  Effect.try({
    try: () => {
      const migrations: Migration[] = []
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql"))) {
        const parsed = parseMigrationFileName(file)
        if (!parsed) throw new Error(`badly named migration ${file}: expected NNN_name.sql`)
        migrations.push({ ...parsed, sql: readFileSync(join(dir, file), "utf8") })
      }
      const ordered = orderMigrations(migrations)
      if (typeof ordered === "string") throw new Error(ordered)
      return ordered
    },
    catch: (cause) => new StoreError({ path: dir, operation: "load migrations", cause })
  })
