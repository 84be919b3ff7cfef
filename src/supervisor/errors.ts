// Typed errors raised while serving requests, and the one place that maps every service error
// to a protocol error code. Nothing else decides what goes on the wire.
import { Data } from "effect"
import type { ErrorCode } from "../protocol/types"

export class JobNotFound extends Data.TaggedError("JobNotFound")<{ readonly message: string }> {}
export class Ambiguous extends Data.TaggedError("Ambiguous")<{
  readonly message: string
  readonly candidates: ReadonlyArray<string>
}> {}
export class NoMatch extends Data.TaggedError("NoMatch")<{ readonly message: string }> {}
export class BadRequest extends Data.TaggedError("BadRequest")<{ readonly message: string }> {}
export class KillFailed extends Data.TaggedError("KillFailed")<{ readonly message: string }> {}
/** Retry of a job whose worktree was removed since it ran. */
export class WorktreeGone extends Data.TaggedError("WorktreeGone")<{ readonly path: string; readonly message: string }> {}

export interface ProtocolError {
  readonly code: ErrorCode
  readonly message: string
  readonly details?: unknown
}

/** Any tagged error the request handlers can fail with; matched by tag so modules stay decoupled. */
export type TaggedFailure = { readonly _tag: string; readonly message?: string } & Record<string, unknown>

const codeByTag: Record<string, ErrorCode> = {
  JobNotFound: "JOB_NOT_FOUND",
  Ambiguous: "AMBIGUOUS",
  NoMatch: "NO_MATCH",
  BadRequest: "BAD_REQUEST",
  ShuttingDown: "BUSY",
  RepoNotFound: "REPO_NOT_FOUND",
  WorktreeGone: "REPO_NOT_FOUND",
  ConfigInvalid: "CONFIG_INVALID",
  KillFailed: "KILL_FAILED"
}

/** Store refusals are not the client's fault but must still explain themselves (path and fix). */
const explainedInternal = new Set(["PermissionsTooOpen", "ForeignDatabase", "NewerSchema", "DatabaseLocked", "JobLogUnwritable"])

export const toProtocolError = (error: TaggedFailure): ProtocolError => {
  const message = typeof error.message === "string" && error.message !== "" ? error.message : error._tag
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
    default: {
      const code = codeByTag[error._tag]
      if (code !== undefined) return { code, message }
      if (explainedInternal.has(error._tag)) return { code: "INTERNAL", message }
      return { code: "INTERNAL", message: "internal error (see the supervisor log)" }
    }
  }
}
