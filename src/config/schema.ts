// The hookd.yml format (SPEC §8) as an effect/Schema. It describes the file as written —
// durations and sizes stay strings/numbers here and are converted by the loader — so the same
// definition validates YAML and generates schema/config.json.
import { Schema } from "effect"
import { JOB_NAME_PATTERN } from "../protocol/paths"
import { CONCURRENCY_POLICIES, MAX_JOB_ATTEMPTS } from "../protocol/types"
/** The longest `retry.backoff` (every wait is capped there anyway). */
const MAX_RETRY_BACKOFF_MS = 300_000
import { CPU_PERCENT_PATTERN, DURATION_PATTERN, SIZE_PATTERN, parseCpuPercent, parseDuration, parseSize } from "./units"

import { GIT_HOOK_NAMES, type GitHookName } from "./hook-names"
export { GIT_HOOK_NAMES, type GitHookName } from "./hook-names"

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Tags travel comma-separated (HOOKD_EXCLUDE_TAGS) and as CLI words: no commas, no spaces. */
export const TAG = /^[^\s,]+$/

const fixed = (text: string) => () => text

export const JobName = Schema.String.pipe(
  Schema.pattern(JOB_NAME_PATTERN, {
    message: (issue) =>
      `invalid job name ${JSON.stringify(issue.actual)}: must match ${JOB_NAME_PATTERN.source} (letters, digits, ".", "_", "-"; it becomes a directory name)`
  }),
  Schema.annotations({ identifier: "JobName" })
)

const EnvName = Schema.String.pipe(
  Schema.pattern(ENV_NAME, {
    message: (issue) => `invalid environment variable name ${JSON.stringify(issue.actual)}: must match ${ENV_NAME.source}`
  })
)

const Tag = Schema.String.pipe(
  Schema.pattern(TAG, {
    message: (issue) => `invalid tag ${JSON.stringify(issue.actual)}: a tag is non-empty without commas or spaces`
  })
)

const NonEmptyText = (what: string) =>
  Schema.String.pipe(Schema.minLength(1, { message: fixed(`${what} must not be empty`) }))

const DURATION_HELP = "a duration like 500ms, 30s, 10m, 1h30m, 7d, or an integer number of seconds"
/** Number = seconds. */
export const Duration = Schema.Union(
  Schema.Number.pipe(Schema.nonNegative({ message: fixed(`expected ${DURATION_HELP}`) }), Schema.finite()),
  Schema.String.pipe(
    Schema.filter((s) => parseDuration(s) !== undefined, {
      message: (issue) => `expected ${DURATION_HELP}, got ${JSON.stringify(issue.actual)}`,
      jsonSchema: { pattern: DURATION_PATTERN }
    })
  )
).annotations({
  identifier: "Duration",
  description: DURATION_HELP,
  message: (issue) => `expected ${DURATION_HELP}, got ${JSON.stringify(issue.actual)}`
})

const SIZE_HELP = "a size like 500KB, 10MB, 1GB (decimal) or 10MiB (binary), or an integer number of bytes"
/** Number = bytes. */
export const Size = Schema.Union(
  Schema.Number.pipe(Schema.int({ message: fixed(`expected ${SIZE_HELP}`) }), Schema.nonNegative()),
  Schema.String.pipe(
    Schema.filter((s) => parseSize(s) !== undefined, {
      message: (issue) => `expected ${SIZE_HELP}, got ${JSON.stringify(issue.actual)}`,
      jsonSchema: { pattern: SIZE_PATTERN }
    })
  )
).annotations({
  identifier: "Size",
  description: SIZE_HELP,
  message: (issue) => `expected ${SIZE_HELP}, got ${JSON.stringify(issue.actual)}`
})

const CONDITION_KEYS = ["env", "ref", "run"] as const
/** `{env: NAME}`, `{ref: glob}` or `{run: cmd}` — one key per list item. */
const KeyedCondition = Schema.Struct({
  env: Schema.optionalWith(EnvName, { exact: true }),
  ref: Schema.optionalWith(NonEmptyText("a ref glob"), { exact: true }),
  run: Schema.optionalWith(NonEmptyText("a condition command"), { exact: true })
}).pipe(
  Schema.filter((c) => CONDITION_KEYS.filter((k) => c[k] !== undefined).length === 1, {
    message: (issue) =>
      `a condition item has exactly one of the keys env, ref, run; got ${JSON.stringify(issue.actual)}`
  })
)

const CONDITION_ITEM_HELP = "merge, rebase, {env: NAME}, {ref: glob} or {run: command}"
export const ConditionItem = Schema.Union(Schema.Literal("merge", "rebase"), KeyedCondition).annotations({
  identifier: "ConditionItem",
  message: (issue) => `expected ${CONDITION_ITEM_HELP}, got ${JSON.stringify(issue.actual)}`
})

/** A bare string is the name of an environment variable; `merge`/`rebase` must be list items. */
const EnvCondition = Schema.String.pipe(
  Schema.filter((s) => s !== "merge" && s !== "rebase", {
    message: (issue) =>
      `a bare string is an environment variable name; write [${issue.actual as string}] for the ${issue.actual as string} condition`
  }),
  Schema.pattern(ENV_NAME, {
    message: (issue) => `invalid environment variable name ${JSON.stringify(issue.actual)}: must match ${ENV_NAME.source}`
  })
)

const CONDITION_HELP = `true, false, an environment variable name, or a list of ${CONDITION_ITEM_HELP}`
export const Condition = Schema.Union(Schema.Boolean, EnvCondition, Schema.Array(ConditionItem)).annotations({
  identifier: "Condition",
  description: CONDITION_HELP,
  message: (issue) => `expected ${CONDITION_HELP}, got ${JSON.stringify(issue.actual)}`
})

/** `cwd` is relative to the worktree and must stay inside it. */
export const isInsideRelativePath = (path: string): boolean => {
  if (path === "" || path.includes("\0") || path.startsWith("/")) return false
  let depth = 0
  for (const part of path.split("/")) {
    if (part === "..") depth -= 1
    else if (part !== "." && part !== "") depth += 1
    if (depth < 0) return false
  }
  return true
}

const RelativeCwd = Schema.String.pipe(
  Schema.filter(isInsideRelativePath, {
    message: (issue) =>
      `cwd ${JSON.stringify(issue.actual)} must be a relative path inside the worktree (no leading "/", no ".." above it)`
  })
)

/**
 * An `inputs:` pattern: a git glob pathspec relative to the worktree (`package-lock.json`,
 * `src`, `proto/**`). It is handed to git as `:(glob)<pattern>`, so it must stay inside the
 * worktree like `cwd`.
 */
const InputPattern = Schema.String.pipe(
  Schema.filter((s) => s !== "" && isInsideRelativePath(s), {
    message: (issue) =>
      `input ${JSON.stringify(issue.actual)} must be a path or glob relative to the worktree (no leading "/", no ".." above it)`
  })
)

const OutputPath = Schema.String.pipe(
  Schema.filter((s) => s !== "" && isInsideRelativePath(s), {
    message: (issue) =>
      `output ${JSON.stringify(issue.actual)} must be a path relative to the worktree (no leading "/", no ".." above it)`
  })
)

const INPUTS_HELP = "a list of paths/globs relative to the worktree, or {files: [...], env: [NAME, ...]}"
/** `[package-lock.json]` is short for `{files: [package-lock.json]}`. */
export const Inputs = Schema.Union(
  Schema.Array(InputPattern),
  Schema.Struct({
    files: Schema.optionalWith(Schema.Array(InputPattern), { exact: true }),
    env: Schema.optionalWith(Schema.Array(EnvName), { exact: true })
  })
).annotations({
  identifier: "Inputs",
  description: `What the job's work depends on: ${INPUTS_HELP}. When they are unchanged since the job's last completed run in this worktree, the job is recorded skipped instead of run.`,
  message: (issue) => `expected ${INPUTS_HELP}, got ${JSON.stringify(issue.actual)}`
})

/** Values may be strings, numbers or booleans; numbers and booleans are passed as their text. */
const EnvMap = Schema.Record({ key: EnvName, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) })

const opt = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })
/** For containers where an empty YAML value (`log:` with nothing under it) means "absent". */
const optOrNull = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const JobLogConfig = Schema.Struct({
  retention: opt(Duration),
  max_size: opt(Size),
  sampling_every_nth: opt(
    Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1, { message: fixed("sampling_every_nth is an integer ≥ 1") }))
  )
}).annotations({ identifier: "JobLogConfig" })

const CONCURRENCY_HELP = "replace, queue, skip or parallel"
/** What a new run does while a run of the same job is live in the worktree (SPEC §3). */
export const Concurrency = Schema.Literal(...CONCURRENCY_POLICIES).annotations({
  identifier: "Concurrency",
  description: `${CONCURRENCY_HELP}: while a run of the same job is live in this worktree, cancel it and start (replace, the default for background jobs), wait for it (queue), record this run skipped (skip), or run beside it (parallel, the default for foreground jobs)`,
  message: (issue) => `expected ${CONCURRENCY_HELP}, got ${JSON.stringify(issue.actual)}`
})

const RETRY_HELP = `{attempts: 2 to ${MAX_JOB_ATTEMPTS}, backoff: a duration up to 5m} — e.g. {attempts: 3, backoff: 5s}`
const durationWithin = (value: DurationValue, maxMs: number): boolean =>
  (typeof value === "number" ? value * 1000 : (parseDuration(value) ?? 0)) <= maxMs
/** Automatic retry of a run that failed or timed out (issue 12 item 8). */
export const RetryConfig = Schema.Struct({
  attempts: Schema.Number.pipe(
    Schema.int({ message: fixed(`retry.attempts is a whole number of runs, the first included (1 to ${MAX_JOB_ATTEMPTS}; 1 turns retry off)`) }),
    Schema.between(1, MAX_JOB_ATTEMPTS, {
      message: (issue) =>
        `retry.attempts counts the runs, the first included: 1 to ${MAX_JOB_ATTEMPTS} (1 turns retry off), got ${JSON.stringify(issue.actual)}`
    })
  ),
  backoff: opt(Duration.pipe(
    Schema.filter((d) => durationWithin(d, MAX_RETRY_BACKOFF_MS), {
      message: (issue) =>
        `retry.backoff is the wait before the 2nd attempt (each later wait doubles, capped at 5m); at most 5m, got ${JSON.stringify(issue.actual)}`
    })
  ))
}).annotations({
  identifier: "RetryConfig",
  description: `Run a job again when it failed or timed out (never when it was cancelled or superseded): ${RETRY_HELP}. Waits double from backoff (default 5s), capped at 5 minutes, shortened by up to 20 % at random.`,
  message: (issue) => `expected ${RETRY_HELP}, got ${JSON.stringify(issue.actual)}`
})

/** A desktop notification when the job fails (issue 12 item 3). */
export const Notify = Schema.Boolean.annotations({
  identifier: "Notify",
  description: "true: a desktop notification (notify-send on Linux, osascript on macOS, when on PATH; else nothing) when the job fails, times out or crashes",
  message: (issue) => `expected true or false (a desktop notification when the job fails), got ${JSON.stringify(issue.actual)}`
})

const MEMORY_HELP = "a size like 512MiB or 2GiB (or 2GB), the most memory the job's processes may use together"
const CPU_HELP = "a share of one CPU like 50% (half a CPU) or 200% (two CPUs)"
/** `limits: {memory, cpu}` — applied to the job's cgroup; refused when hookd cannot (see docs/operations.md). */
export const JobLimitsConfig = Schema.Struct({
  memory: opt(
    Schema.Union(Schema.Number, Schema.String).pipe(
      Schema.filter((v) => ((typeof v === "number" ? v : parseSize(v)) ?? 0) > 0 && (typeof v !== "number" || Number.isSafeInteger(v)), {
        message: (issue) => `expected ${MEMORY_HELP}, got ${JSON.stringify(issue.actual)}`,
        jsonSchema: { pattern: SIZE_PATTERN }
      })
    ).annotations({ description: MEMORY_HELP })
  ),
  cpu: opt(
    Schema.String.pipe(
      Schema.filter((s) => parseCpuPercent(s) !== undefined, {
        message: (issue) => `expected ${CPU_HELP}, got ${JSON.stringify(issue.actual)}`,
        jsonSchema: { pattern: CPU_PERCENT_PATTERN }
      })
    ).annotations({ description: CPU_HELP })
  )
}).annotations({
  identifier: "JobLimitsConfig",
  description: "Resource limits of the job's cgroup: they need cgroup containment with the memory/cpu controllers; a job whose limits cannot be applied fails without running"
})

export const JobConfig = Schema.Struct({
  name: JobName,
  run: NonEmptyText("run"),
  cwd: opt(RelativeCwd),
  env: opt(EnvMap),
  needs: opt(Schema.Array(JobName)),
  tags: opt(Schema.Array(Tag)),
  background: opt(Schema.Boolean),
  timeout: opt(Duration),
  log: optOrNull(JobLogConfig),
  skip: opt(Condition),
  only: opt(Condition),
  concurrency: opt(Concurrency),
  retry: opt(RetryConfig),
  notify: opt(Notify),
  inputs: opt(Inputs),
  outputs: opt(
    Schema.Array(OutputPath).annotations({
      description: "Paths relative to the worktree the job makes (node_modules); if one is missing the job runs even when its inputs are unchanged"
    })
  ),
  limits: opt(JobLimitsConfig)
}).annotations({ identifier: "JobConfig" })

export const HookConfig = Schema.Struct({
  background: opt(Schema.Boolean),
  jobs: optOrNull(Schema.Array(JobConfig)),
  exclude_tags: opt(Schema.Array(Tag)),
  skip: opt(Condition),
  only: opt(Condition),
  /** The default `concurrency` of this hook's jobs. */
  concurrency: opt(Concurrency),
  /** The default `retry` of this hook's jobs. */
  retry: opt(RetryConfig),
  /** The default `notify` of this hook's jobs. */
  notify: opt(Notify),
  /** post-checkout only: also run for file checkouts (third argument `0`), not just branch switches. */
  file_checkouts: opt(Schema.Boolean)
}).annotations({ identifier: "HookConfig" })

export const HooksConfig = Schema.Struct(
  Object.fromEntries(GIT_HOOK_NAMES.map((name) => [name, optOrNull(HookConfig)])) as {
    readonly [K in GitHookName]: ReturnType<typeof optOrNull<typeof HookConfig>>
  }
).annotations({ identifier: "HooksConfig" })

export const RepoLogConfig = Schema.Struct({
  retention: opt(Duration),
  keep_last: opt(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
  max_total_size: opt(Size),
  stale_running_after: opt(Duration)
}).annotations({ identifier: "RepoLogConfig" })

export const HookdConfigSchema = Schema.Struct({
  log: optOrNull(RepoLogConfig),
  hooks: optOrNull(HooksConfig)
}).annotations({
  identifier: "HookdConfig",
  title: "hookd.yml",
  description: "Jobs that git hooks start through hookd (SPEC §8)"
})

export type HookdConfig = Schema.Schema.Type<typeof HookdConfigSchema>
export type HookConfigValue = Schema.Schema.Type<typeof HookConfig>
export type JobConfigValue = Schema.Schema.Type<typeof JobConfig>
export type InputsValue = Schema.Schema.Type<typeof Inputs>
export type JobLimitsValue = Schema.Schema.Type<typeof JobLimitsConfig>
export type ConditionValue = Schema.Schema.Type<typeof Condition>
export type ConditionItemValue = Schema.Schema.Type<typeof ConditionItem>
export type DurationValue = Schema.Schema.Type<typeof Duration>
export type RetryValue = Schema.Schema.Type<typeof RetryConfig>
export type SizeValue = Schema.Schema.Type<typeof Size>
