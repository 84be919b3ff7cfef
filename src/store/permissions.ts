// Step 1 of bring-up (SPEC §4): the repo directory is 0700 and its files 0600. We create what is
// missing with those modes and refuse — with the fixing chmod — whatever already exists more open.
import { Effect } from "effect"
import { closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs"
import { dirname } from "node:path"
import { wrongKind } from "./diagnose"
import { chmodFix, PermissionsTooOpen, type StatePathUnusable, StoreError } from "./errors"

/** Group or other may read, write or enter: more open than hookd's owner-only modes. */
export const modeTooOpen = (mode: number): boolean => (mode & 0o077) !== 0

const check = (path: string, kind: "file" | "directory"): Effect.Effect<void, PermissionsTooOpen | StatePathUnusable | StoreError> =>
  Effect.try({
    try: () => statSync(path),
    catch: (cause) => new StoreError({ path, operation: "stat", cause })
  }).pipe(
    Effect.flatMap((st): Effect.Effect<void, PermissionsTooOpen | StatePathUnusable> => {
      // A file in the way is not a permission problem: a chmod would not help.
      if (st.isDirectory() !== (kind === "directory")) return Effect.fail(wrongKind(path, kind))
      const mode = st.mode & 0o7777
      return modeTooOpen(mode) ? Effect.fail(new PermissionsTooOpen({ path, mode, fix: chmodFix(path, kind) })) : Effect.void
    })
  )

/**
 * Make sure the database's directory and file exist and are private. A new file is created empty
 * (SQLite treats an empty file as a new database) so that it never exists with a wider mode.
 */
export const ensurePrivateFiles = (dbPath: string): Effect.Effect<void, PermissionsTooOpen | StatePathUnusable | StoreError> =>
  Effect.gen(function* () {
    const dir = dirname(dbPath)
    yield* Effect.try({
      try: () => {
        // `recursive` applies the mode to every directory it creates (state root, repos/, the repo's).
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 })
      },
      catch: (cause) => new StoreError({ path: dir, operation: "create directory", cause })
    })
    yield* check(dir, "directory")
    yield* Effect.try({
      try: () => {
        try {
          closeSync(openSync(dbPath, "wx", 0o600))
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        }
      },
      catch: (cause) => new StoreError({ path: dbPath, operation: "create database file", cause })
    })
    yield* check(dbPath, "file")
    const wal = `${dbPath}-wal`
    if (existsSync(wal)) yield* check(wal, "file")
  })
