// Entry point of the config subsystem: the supervisor calls `loadHookJobs` when RunJobs
// arrives without explicit `jobs` (SPEC §3, §8, §9).
import { Effect } from "effect"
import type { JobSpec } from "../protocol/types"
import { DEFAULT_POLICY, type HookRunContext, type RepoPolicyConfig } from "./context"
import { ConfigInvalid } from "./errors"
import { cachedConfig } from "./config-cache"
import { loadConfig } from "./files"
import { repoPolicy, resolveHookJobs } from "./jobs"

export { ConfigInvalid, describeConfigInvalid } from "./errors"
export { DEFAULT_POLICY, type HookRunContext, type RepoPolicyConfig } from "./context"
export { CONFIG_FILE_NAMES, LOCAL_CONFIG_FILE_NAME } from "./file-names"
export { findConfigFile } from "./files"

export interface LoadedHookJobs {
  /** Absolute path of the config file used; undefined when the worktree has none. */
  readonly source: string | undefined
  /** The hook's jobs in config order: conditions evaluated (skipped ones carry skip_reason), templates expanded. */
  readonly jobs: ReadonlyArray<JobSpec>
  /** The `log:` block with defaults filled in. */
  readonly policy: RepoPolicyConfig
}

export const loadHookJobs = (ctx: HookRunContext): Effect.Effect<LoadedHookJobs, ConfigInvalid> =>
  Effect.gen(function* () {
    const loaded = yield* cachedConfig(ctx.worktree, loadConfig)
    if (loaded === undefined) return { source: undefined, jobs: [], policy: DEFAULT_POLICY }
    const jobs = yield* resolveHookJobs(loaded, ctx)
    return { source: loaded.source, jobs, policy: repoPolicy(loaded.config) }
  })
