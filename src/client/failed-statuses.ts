// What `--failed` means for `ls` and `logs`. A module of its own so the run-hook bundle (which
// shares job-lookup with logs) does not take the argument parser with it.
export const FAILED_STATUSES: ReadonlyArray<string> = ["failed", "timed_out", "crashed"]
