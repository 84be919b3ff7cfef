// Errors the job runner fails a request with; supervisor/errors.ts maps them to protocol codes.
import { Data } from "effect"

/** A request arrived while the supervisor drains: nothing was started. */
export class ShuttingDown extends Data.TaggedError("ShuttingDown")<{ readonly message: string }> {}
/** A job's output.jsonl could not be created (disk full, permissions, a broken logs dir). */
export class JobLogUnwritable extends Data.TaggedError("JobLogUnwritable")<{ readonly path: string; readonly message: string }> {}
