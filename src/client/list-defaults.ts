// What `ls` and `logs` mean without options. A module of its own so the hot bundles (which read
// their own command lines, src/client/hot/) do not take the argument parser with them.

/** What `--failed` means for `ls` and `logs`. */
export const FAILED_STATUSES: ReadonlyArray<string> = ["failed", "timed_out", "crashed"]

/** `ls` without --limit shows this many jobs (and says how many more there are). */
export const DEFAULT_LIST_LIMIT = 20
