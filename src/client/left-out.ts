// The repositories a cross-repo answer (ls --all-repos, prune --all-repos) left out because their
// state cannot be read: named on stderr with the supervisor's cause and fix, while the rest is
// printed on stdout as usual. The command then exits 1 (EXIT_FAILED): the listing is incomplete.
import type { UnavailableRepo } from "../protocol/types"
import { terminalSafe } from "../protocol/terminal-text"

/** Collects each repository once over the pages of an answer (pure). */
export const mergeLeftOut = (into: Map<string, UnavailableRepo>, found: ReadonlyArray<UnavailableRepo> | undefined): void => {
  for (const repo of found ?? []) if (!into.has(repo.repo_id)) into.set(repo.repo_id, repo)
}

/** `hookctl: warning: left out repository /src/app (3f2a…): REPO_UNAVAILABLE <message>` — one line each (pure). */
export const formatLeftOut = (repos: Iterable<UnavailableRepo>): string[] =>
  [...repos].map((r) =>
    terminalSafe(`hookctl: warning: left out repository ${r.root !== undefined ? `${r.root} (${r.repo_id})` : r.repo_id}: ${r.code} ${r.message}`)
  )
