// Prepares the socket's directory and path (SPEC §1, §7), as typed errors; the steps themselves are
// socket-path-steps.ts (shared with the loader's first stage). Called only while holding the
// singleton, so any socket file left at the path belongs to a dead supervisor.
import type * as fs from "node:fs"
import { Data, Effect } from "effect"
import { prepareSocketPathSync, socketDirProblemOf, type SocketPathProblem } from "./socket-path-steps"

export class SocketPathError extends Data.TaggedError("SocketPathError")<SocketPathProblem> {}

/** A pure check of the socket directory's lstat; undefined when it is fine. */
export const socketDirProblem = (
  dir: string,
  stat: Pick<fs.Stats, "isDirectory" | "uid" | "mode">,
  uid: number | undefined
): SocketPathError | undefined => {
  const problem = socketDirProblemOf(dir, stat, uid)
  return problem && new SocketPathError(problem)
}

/**
 * mkdir -p the socket's directory 0700 (an existing one must be ours and 0700), then remove a
 * stale socket file at the path. A non-socket file at the path is refused and never deleted.
 */
export const prepareSocketPath = (path: string): Effect.Effect<void, SocketPathError> =>
  Effect.suspend(() => {
    const problem = prepareSocketPathSync(path)
    return problem === undefined ? Effect.void : Effect.fail(new SocketPathError(problem))
  })
