// The values the config loader works with; re-exported by load.ts, the module callers import.
import type { RunMode } from "../protocol/types"

/** What the supervisor knows about the hook being run (from RunJobs). */
export interface HookRunContext {
  readonly worktree: string
  readonly repoRoot: string
  readonly hook: string
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly mode: RunMode
}

/** The repo's `log:` block (SPEC §9), persisted to `repo_policy`. */
export interface RepoPolicyConfig {
  readonly retention_secs: number
  readonly keep_last: number
  readonly max_total_bytes: number
  readonly stale_running_after_secs: number
}

/** 7d, 3 invocations per worktree, 500 MB (decimal), 24h. */
export const DEFAULT_POLICY: RepoPolicyConfig = {
  retention_secs: 7 * 86_400,
  keep_last: 3,
  max_total_bytes: 500_000_000,
  stale_running_after_secs: 86_400
}
