import { Data } from "effect"

/** A file-system step of a sweep failed (rename, remove, list); the path says where. */
export class SweepIoError extends Data.TaggedError("SweepIoError")<{
  readonly path: string
  readonly operation: string
  readonly message: string
  readonly cause?: unknown
}> {}
