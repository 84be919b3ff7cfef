// What every supervisor-talking command shares: a connection that is always closed, and the worktree filter.
import { connectToSupervisor } from "../autostart"
import type { Connection } from "../connection"
import { worktreeRoot } from "../git"

/**
 * Jobs record their worktree's root as git reports it (symlinks resolved), so `--worktree .` from a
 * subdirectory or a symlinked path is turned into that root; a path outside any worktree (say, a
 * removed one) is sent as given.
 */
export const worktreeFilter = (path: string): string => worktreeRoot(path) ?? path

/** Runs `body` on a fresh connection and always closes it. */
export const withConnection = async <A>(body: (c: Connection) => Promise<A>): Promise<A> => {
  const connection = await connectToSupervisor()
  try {
    return await body(connection)
  } finally {
    connection.close()
  }
}
