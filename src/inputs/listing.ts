// Which files an `inputs:` list matches, and which of them git can vouch for. One
// `git ls-files` run answers both: the index entries (object ids) of the tracked matches, which of
// those differ from the worktree, and the untracked matches — one read of the index, one walk of
// the worktree, with git's own pathspec matcher doing the globbing.
import { Effect } from "effect"
import { captureOutput, type ProcessEnv } from "../config/processes"

const GIT_TIMEOUT_MS = 60_000

/** `:(glob)` magic: `*` stays within a directory, `**` crosses them, a directory matches what is under it. */
export const toPathspec = (pattern: string): string => `:(glob)${pattern}`

export interface InputListing {
  /** Tracked matches git vouches for: path → index object id (clean in the worktree). */
  readonly clean: ReadonlyMap<string, string>
  /** Matches whose content git cannot vouch for: modified, deleted, unmerged (tracked) or untracked. */
  readonly dirty: ReadonlyArray<string>
  /** Object id length in hex (40 sha1, 64 sha256) when a tracked entry showed it. */
  readonly oidHexLength: number | undefined
}

/**
 * The command: -s gives mode, object id and stage of index entries; -m adds the ones whose worktree
 * content differs (git compares content when the stat data is not conclusive); -o the untracked,
 * not ignored files; -t tags each line with which of those it is.
 */
export const LS_FILES_ARGS = ["ls-files", "-z", "-t", "-s", "-m", "-o", "--exclude-standard", "--"] as const

const ENTRY = /^([0-7]{6}) ([0-9a-f]{40,64}) ([0-3])\t([\s\S]*)$/

/**
 * Parses the NUL-separated output of LS_FILES_ARGS. Tags: `H` cached, `S` skip-worktree (not in the
 * worktree: the index id stands), `C` changed, `M` unmerged, `?` untracked. A path that is changed
 * or unmerged, or untracked, is dirty; a gitlink (submodule, mode 160000) keeps its index id.
 */
export const parseListing = (output: string): InputListing | { readonly failure: string } => {
  const indexed = new Map<string, string>()
  const dirty = new Set<string>()
  let oidHexLength: number | undefined
  for (const line of output.split("\0")) {
    if (line === "") continue
    const tag = line[0]
    const rest = line.slice(2)
    if (line[1] !== " ") return { failure: `unexpected git ls-files output: ${JSON.stringify(line.slice(0, 80))}` }
    if (tag === "?") {
      dirty.add(rest)
      continue
    }
    const entry = ENTRY.exec(rest)
    if (entry === null) return { failure: `unexpected git ls-files output: ${JSON.stringify(line.slice(0, 80))}` }
    const [, mode, oid, stage, path] = entry
    oidHexLength = oid!.length
    if (tag === "H" || tag === "S") {
      indexed.set(path!, oid!)
    } else if (tag === "M" || stage !== "0") {
      dirty.add(path!)
    } else if (tag === "C") {
      // A submodule's worktree is its own repository: its index id is what this repo knows of it.
      if (mode !== "160000") dirty.add(path!)
    } else {
      return { failure: `unexpected git ls-files tag ${JSON.stringify(tag)}` }
    }
  }
  const clean = new Map([...indexed].filter(([path]) => !dirty.has(path)))
  return { clean, dirty: [...dirty].sort(), oidHexLength }
}

/** Runs the listing for `patterns` in the worktree root; a string explains a failure. */
export const listInputFiles = (
  worktree: string,
  patterns: ReadonlyArray<string>,
  env: ProcessEnv
): Effect.Effect<InputListing | { readonly failure: string }> => {
  // No pattern: nothing matches (git would list the whole worktree for an empty pathspec).
  if (patterns.length === 0) return Effect.succeed({ clean: new Map(), dirty: [], oidHexLength: undefined })
  return captureOutput("git", [...LS_FILES_ARGS, ...patterns.map(toPathspec)], { cwd: worktree, env, timeoutMs: GIT_TIMEOUT_MS }).pipe(
    Effect.map((out) =>
      out.exitCode === 0
        ? parseListing(out.stdout)
        : { failure: `git ls-files failed${out.exitCode === undefined ? "" : ` (exit ${out.exitCode})`}: ${out.stderr.trim()}` }
    )
  )
}
