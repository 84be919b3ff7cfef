// Errors of the job runner and the process runner; supervisor/errors.ts maps them to protocol codes.
import { Data } from "effect"

/** A request arrived while the supervisor drains: nothing was started. */
export class ShuttingDown extends Data.TaggedError("ShuttingDown")<{ readonly message: string }> {}
/**
 * A job's process group could not be killed: the kernel refused the signal (`errno`, e.g. EPERM),
 * the pgid is not a job's group, or a member outlived SIGKILL (`errno` undefined).
 */
export class KillFailed extends Data.TaggedError("KillFailed")<{
  readonly pgid: number
  readonly errno: string | undefined
  readonly message: string
}> {}
/**
 * A job's output could not be written to its log (disk full, I/O error): the job is ended — its
 * group killed — rather than run on with its output lost. The message is the row's reason.
 */
export class LogWriteFailed extends Data.TaggedError("LogWriteFailed")<{ readonly path: string; readonly message: string }> {}
