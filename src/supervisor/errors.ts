// Typed errors raised while serving requests, and the one place that maps every service error
// to a protocol error code. Nothing else decides what goes on the wire.
import { Data } from "effect"
import type { ConfigInvalid } from "../config/errors"
import type { KillFailed, ShuttingDown } from "../jobs/errors"
import type { ErrorCode } from "../protocol/types"
import type { RepoNotFound } from "../repos/identity"
import type { SweepIoError } from "../retention/errors"
import type {
  DatabaseDamaged,
  DatabaseLocked,
  ForeignDatabase,
  NewerSchema,
  PermissionsTooOpen,
  StatePathUnusable,
  StoreError
} from "../store/errors"

export class JobNotFound extends Data.TaggedError("JobNotFound")<{ readonly message: string }> {}
export class Ambiguous extends Data.TaggedError("Ambiguous")<{
  readonly message: string
  readonly candidates: ReadonlyArray<string>
}> {}
export class NoMatch extends Data.TaggedError("NoMatch")<{ readonly message: string }> {}
export class BadRequest extends Data.TaggedError("BadRequest")<{ readonly message: string }> {}
/** Retry of a job whose worktree was removed since it ran. */
export class WorktreeGone extends Data.TaggedError("WorktreeGone")<{ readonly path: string; readonly message: string }> {}
/** A job's log file that cannot be read (the message names the file, the cause and the fix). */
export class LogUnreadable extends Data.TaggedError("LogUnreadable")<{ readonly path: string; readonly message: string }> {}

/** Every error a request handler can fail with (dispatch.ts checks the handlers against it). */
export type HandlerError =
  | JobNotFound
  | Ambiguous
  | NoMatch
  | BadRequest
  | WorktreeGone
  | LogUnreadable
  | ShuttingDown
  | KillFailed
  | RepoNotFound
  | ConfigInvalid
  | PermissionsTooOpen
  | ForeignDatabase
  | NewerSchema
  | DatabaseLocked
  | DatabaseDamaged
  | StatePathUnusable
  | StoreError
  | SweepIoError

export interface ProtocolError {
  readonly code: ErrorCode
  readonly message: string
  readonly details?: unknown
}

/** A new HandlerError without a code here does not compile. */
const codeByTag = {
  JobNotFound: "JOB_NOT_FOUND",
  Ambiguous: "AMBIGUOUS",
  NoMatch: "NO_MATCH",
  BadRequest: "BAD_REQUEST",
  WorktreeGone: "REPO_NOT_FOUND",
  LogUnreadable: "REPO_UNAVAILABLE",
  ShuttingDown: "BUSY",
  KillFailed: "KILL_FAILED",
  RepoNotFound: "REPO_NOT_FOUND",
  ConfigInvalid: "CONFIG_INVALID",
  // The repository's database cannot be used as it is; the message names the file and the fix.
  PermissionsTooOpen: "REPO_UNAVAILABLE",
  ForeignDatabase: "REPO_UNAVAILABLE",
  NewerSchema: "REPO_UNAVAILABLE",
  DatabaseLocked: "REPO_UNAVAILABLE",
  DatabaseDamaged: "REPO_UNAVAILABLE",
  StatePathUnusable: "REPO_UNAVAILABLE",
  // Unexpected I/O failures: the details go to the supervisor log, not the wire.
  StoreError: "INTERNAL",
  SweepIoError: "INTERNAL"
} as const satisfies Record<HandlerError["_tag"], ErrorCode>

/** Failures whose message would only leak internals; answered with a pointer to the log instead. */
const unexplained: ReadonlySet<HandlerError["_tag"]> = new Set(["StoreError", "SweepIoError"])

export const INTERNAL_MESSAGE = "internal error (see the supervisor log)"

export const toProtocolError = (error: HandlerError): ProtocolError => {
  const message = error.message !== "" ? error.message : error._tag
  switch (error._tag) {
    case "ConfigInvalid":
      return {
        code: "CONFIG_INVALID",
        message: error.line === undefined ? `${error.file}: ${error.path}: ${message}` : `${error.file}:${error.line}: ${error.path}: ${message}`,
        // `message` alone in details, so a client that formats file:line: path itself does not repeat them.
        details: { file: error.file, line: error.line ?? null, path: error.path, message }
      }
    case "Ambiguous":
      return { code: "AMBIGUOUS", message, details: { candidates: error.candidates } }
    case "StoreError":
      // A full disk is explained (the message says what to do); anything else stays in the log.
      return error.fix !== undefined ? { code: "REPO_UNAVAILABLE", message } : { code: "INTERNAL", message: INTERNAL_MESSAGE }
    default:
      return { code: codeByTag[error._tag], message: unexplained.has(error._tag) ? INTERNAL_MESSAGE : message }
  }
}
