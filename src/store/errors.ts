// Typed failures of the per-repo store (SPEC §4). Each message names the path and, where the user
// can fix the problem, says how.
import { Data } from "effect"

/** Quote a path for a copy-pasteable shell command only when it needs it. */
export const shellQuote = (path: string): string =>
  /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`

/** The `chmod` that brings a file or directory back to hookd's required mode. */
export const chmodFix = (path: string, kind: "file" | "directory"): string =>
  `chmod ${kind === "directory" ? "700" : "600"} ${shellQuote(path)}`

/** A state file or directory is readable or writable by other users. */
export class PermissionsTooOpen extends Data.TaggedError("PermissionsTooOpen")<{
  readonly path: string
  /** The permission bits found, e.g. 0o644. */
  readonly mode: number
  /** The command that fixes it, e.g. `chmod 600 /…/coordinator.db`. */
  readonly fix: string
}> {
  override get message(): string {
    return `refusing to open ${this.path}: its mode ${this.mode.toString(8).padStart(4, "0")} lets other users ` +
      `read or change hookd's state; fix it with: ${this.fix}`
  }
}

/**
 * The `mv` that moves a repository's database aside (with its WAL, when there is one), after which
 * hookd starts that repository's job history afresh on its next request — no restart needed.
 */
export const moveAsideFix = (dbPath: string, hasWal: boolean): string => {
  const mv = (from: string, to: string) => `mv ${shellQuote(from)} ${shellQuote(to)}`
  const moves = [mv(dbPath, `${dbPath}.broken`), ...(hasWal ? [mv(`${dbPath}-wal`, `${dbPath}.broken-wal`)] : [])]
  return moves.join(" && ")
}

/** The file is SQLite (or something else) but not a hookd database. */
export class ForeignDatabase extends Data.TaggedError("ForeignDatabase")<{ readonly path: string }> {
  override get message(): string {
    return `not a hookd database: ${this.path} (another program's SQLite file, or not SQLite at all); hookd ` +
      `leaves it untouched. Move it aside and hookd starts this repository afresh: ` +
      `${moveAsideFix(this.path, false)} — or point HOOKD_STATE_DIR elsewhere`
  }
}

/** The repository's database is damaged (truncated, garbled pages): SQLite cannot read it. */
export class DatabaseDamaged extends Data.TaggedError("DatabaseDamaged")<{
  readonly path: string
  /** SQLite's words, e.g. "database disk image is malformed". */
  readonly reason: string
  /** The `mv` that moves it aside. */
  readonly fix: string
}> {
  override get message(): string {
    return `${this.path} is damaged (${this.reason}); hookd cannot use it, other repositories are not affected. ` +
      `Move it aside and hookd starts this repository's job history afresh (no restart needed): ${this.fix}`
  }
}

/**
 * A path under the state dir that hookd cannot use: a directory it may not enter or write
 * (EACCES), a file where a directory belongs, a directory where the database belongs.
 */
export class StatePathUnusable extends Data.TaggedError("StatePathUnusable")<{
  readonly path: string
  /** What is wrong with it, e.g. "permission denied (owned by uid 1001, mode 0000)". */
  readonly reason: string
  /** The command that fixes it: a chmod/chown, or a `mv` out of the way. */
  readonly fix: string
}> {
  override get message(): string {
    return `hookd cannot use ${this.path}: ${this.reason}; fix it with: ${this.fix}`
  }
}

/** The database was migrated by a newer hookd than this one; it is left untouched. */
export class NewerSchema extends Data.TaggedError("NewerSchema")<{
  readonly path: string
  readonly found: number
  readonly known: number
}> {
  override get message(): string {
    return `${this.path} was created by a newer hookd (schema version ${this.found}; this build knows up to ` +
      `${this.known}); upgrade hookd — the database was left untouched`
  }
}

/** Another connection holds the database's `<db>.lock` directory. */
export class DatabaseLocked extends Data.TaggedError("DatabaseLocked")<{
  readonly path: string
  /** The live processes seen holding the database open, when known. */
  readonly holders?: ReadonlyArray<number>
}> {
  override get message(): string {
    if (this.holders !== undefined && this.holders.length > 0) {
      return `database is locked: ${this.path} is open in pid ${this.holders.join(", pid ")} — another hookd ` +
        `(perhaps started with a different HOOKD_STATE_DIR spelling) is using it; stop that process first`
    }
    return `database is locked: ${this.path} — another process (or another connection in this one) holds it. ` +
      `A crashed supervisor leaves the directory ${this.path}.lock behind; the supervisor removes it once it ` +
      `holds the singleton lock`
  }
}

/** Any other SQLite or file-system failure, with the operation that failed. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly path: string
  readonly operation: string
  readonly cause: unknown
  /**
   * Set when the failure is the machine's, not hookd's, and the user can act on it (a full disk):
   * what to do. Such an error is explained to the client instead of answered INTERNAL.
   */
  readonly fix?: string | undefined
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `store ${this.operation} failed for ${this.path}: ${reason}${this.fix !== undefined ? `; ${this.fix}` : ""}`
  }
}

/** The cause of a StoreError when a job or invocation row to update is not there (the database was replaced since). */
export class MissingRow extends Error {}

/** True for a StoreError whose job row is not in the database: writing it again cannot help. */
export const isMissingRow = (error: unknown): boolean => error instanceof StoreError && error.cause instanceof MissingRow

export type OpenError = PermissionsTooOpen | ForeignDatabase | NewerSchema | DatabaseLocked | DatabaseDamaged | StatePathUnusable | StoreError
