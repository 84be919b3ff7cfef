// From a validated config to what RunJobs runs: the hook's JobSpecs with conditions evaluated,
// templates expanded and units converted, plus the repo's retention policy.
import { Effect } from "effect"
import { DEFAULT_BACKOFF_MS } from "../domain/retry-backoff"
import type { JobInputs, JobLimits, JobLogOptions, JobRetry, JobSpec } from "../protocol/types"
import { onlyReason, skipReason, type ConditionContext } from "./conditions"
import { DEFAULT_POLICY, type HookRunContext, type RepoPolicyConfig } from "./context"
import { ConfigInvalid } from "./errors"
import type { LoadedConfig } from "./files"
import { makeGitFacts } from "./git-facts"
import { processEnv, shellExitCode } from "./processes"
import type { DurationValue, HookConfigValue, HookdConfig, InputsValue, JobConfigValue, JobLimitsValue, SizeValue } from "./schema"
import { expandTemplates, usesStagedFiles } from "./templates"
import { parseCpuPercent, parseDuration, parseSize } from "./units"
import { formatPath } from "./yaml-source"

/** How long a `{run: …}` condition may take before it counts as not met. */
const CONDITION_TIMEOUT_MS = 60_000

/** A number is seconds; strings were checked by the schema. */
export const durationMs = (value: DurationValue): number =>
  typeof value === "number" ? Math.round(value * 1000) : (parseDuration(value) ?? 0)

/** A number is bytes; strings were checked by the schema. */
export const sizeBytes = (value: SizeValue): number => (typeof value === "number" ? value : (parseSize(value) ?? 0))

const wholeSeconds = (ms: number): number => Math.ceil(ms / 1000)

export const repoPolicy = (config: HookdConfig): RepoPolicyConfig => {
  const log = config.log ?? {}
  return {
    retention_secs: log.retention === undefined ? DEFAULT_POLICY.retention_secs : wholeSeconds(durationMs(log.retention)),
    keep_last: log.keep_last ?? DEFAULT_POLICY.keep_last,
    max_total_bytes: log.max_total_size === undefined ? DEFAULT_POLICY.max_total_bytes : sizeBytes(log.max_total_size),
    stale_running_after_secs:
      log.stale_running_after === undefined
        ? DEFAULT_POLICY.stale_running_after_secs
        : wholeSeconds(durationMs(log.stale_running_after))
  }
}

const hookConfig = (config: HookdConfig, hook: string): HookConfigValue | undefined => {
  const hooks = config.hooks as Readonly<Record<string, HookConfigValue | undefined>> | undefined
  return hooks !== undefined && Object.hasOwn(hooks, hook) ? hooks[hook] : undefined
}

/** `HOOKD_SKIP=lint,types` in the hook's environment: the job names recorded skipped (husky/lefthook habit). */
export const skippedByEnv = (env: Readonly<Record<string, string>>): ReadonlySet<string> =>
  new Set(Object.hasOwn(env, "HOOKD_SKIP") ? env.HOOKD_SKIP.split(",").map((n) => n.trim()).filter((n) => n !== "") : [])

/**
 * git also runs post-checkout for file checkouts (`git checkout -- path`), with a third argument
 * of `0`; a hook's jobs run only for branch checkouts unless the hook opts in.
 */
export const isSkippedFileCheckout = (hookName: string, hook: HookConfigValue, args: ReadonlyArray<string>): boolean =>
  hookName === "post-checkout" && args[2] === "0" && hook.file_checkouts !== true

/** The hook's `exclude_tags` plus `HOOKD_EXCLUDE_TAGS=a,b` from the hook's environment. */
export const excludedTags = (hook: HookConfigValue, env: Readonly<Record<string, string>>): ReadonlySet<string> => {
  const fromEnv = Object.hasOwn(env, "HOOKD_EXCLUDE_TAGS") ? env.HOOKD_EXCLUDE_TAGS.split(",") : []
  return new Set([...(hook.exclude_tags ?? []), ...fromEnv.map((t) => t.trim()).filter((t) => t !== "")])
}

const isBackground = (job: JobConfigValue, hook: HookConfigValue, mode: HookRunContext["mode"]): boolean =>
  mode === "foreground" ? false : mode === "background" ? true : (job.background ?? hook.background ?? false)

const logOptions = (job: JobConfigValue): JobLogOptions | undefined => {
  if (job.log === undefined) return undefined
  const { retention, max_size, sampling_every_nth } = job.log
  return {
    ...(retention !== undefined && { retention_secs: wholeSeconds(durationMs(retention)) }),
    ...(max_size !== undefined && { max_bytes: sizeBytes(max_size) }),
    ...(sampling_every_nth !== undefined && { sampling_every_nth })
  }
}

/** Env values may be numbers or booleans in YAML; jobs receive their text. */
const envStrings = (env: JobConfigValue["env"]): Record<string, string> | undefined =>
  env === undefined ? undefined : Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]))

/** `inputs: [a, b]` is short for `inputs: {files: [a, b]}`. */
export const jobInputs = (inputs: InputsValue): JobInputs =>
  isPatternList(inputs) ? { files: [...inputs], env: [] } : { files: [...(inputs.files ?? [])], env: [...(inputs.env ?? [])] }

/** `limits: {memory: 2GiB, cpu: 50%}` → `{memory_bytes, cpu_percent}` (the schema checked both). */
export const jobLimits = (limits: JobLimitsValue): JobLimits => ({
  ...(limits.memory !== undefined && { memory_bytes: sizeBytes(limits.memory) }),
  ...(limits.cpu !== undefined && { cpu_percent: parseCpuPercent(limits.cpu) ?? 100 })
})

const isPatternList = (inputs: InputsValue): inputs is ReadonlyArray<string> => Array.isArray(inputs)

/** `retry: {attempts, backoff}` (the job's, else its hook's); attempts 1 is no retry. */
const retryOf = (job: JobConfigValue, hook: HookConfigValue): JobRetry | undefined => {
  const retry = job.retry ?? hook.retry
  if (retry === undefined || retry.attempts <= 1) return undefined
  return { attempts: retry.attempts, backoff_ms: retry.backoff === undefined ? DEFAULT_BACKOFF_MS : durationMs(retry.backoff) }
}

const baseSpec = (job: JobConfigValue, hook: HookConfigValue, background: boolean): JobSpec => {
  const concurrency = job.concurrency ?? hook.concurrency
  const retry = retryOf(job, hook)
  const env = envStrings(job.env)
  const log = logOptions(job)
  return {
    name: job.name,
    run: job.run,
    background,
    ...(job.cwd !== undefined && { cwd: job.cwd }),
    ...(env !== undefined && { env }),
    ...(job.needs !== undefined && { needs: job.needs }),
    ...(job.tags !== undefined && { tags: job.tags }),
    ...(job.timeout !== undefined && { timeout_ms: durationMs(job.timeout) }),
    ...(log !== undefined && { log }),
    ...(concurrency !== undefined && { concurrency }),
    ...(retry !== undefined && { retry }),
    ...((job.notify ?? hook.notify) === true && { notify: true }),
    ...(job.inputs !== undefined && { inputs: jobInputs(job.inputs) }),
    ...(job.outputs !== undefined && { outputs: [...job.outputs] }),
    ...(job.limits !== undefined && (job.limits.memory !== undefined || job.limits.cpu !== undefined) && { limits: jobLimits(job.limits) })
  }
}

/** The jobs of `ctx.hook`, in config order; a job that will not run carries its `skip_reason`. */
export const resolveHookJobs = (loaded: LoadedConfig, ctx: HookRunContext): Effect.Effect<JobSpec[], ConfigInvalid> =>
  Effect.gen(function* () {
    const hook = hookConfig(loaded.config, ctx.hook)
    const jobs = hook?.jobs ?? []
    if (hook === undefined || jobs.length === 0) return []

    const env = processEnv(ctx.env)
    const git = yield* makeGitFacts(ctx.worktree, env)
    const conditions: ConditionContext = {
      env: ctx.env,
      git,
      runExitCode: (command) => shellExitCode(command, { cwd: ctx.worktree, env, timeoutMs: CONDITION_TIMEOUT_MS })
    }
    const hookReason = isSkippedFileCheckout(ctx.hook, hook, ctx.args) ? "file checkout" : yield* firstReason([
      hook.skip === undefined ? undefined : skipReason(hook.skip, conditions, "hook "),
      hook.only === undefined ? undefined : onlyReason(hook.only, conditions, "hook ")
    ])
    const excluded = excludedTags(hook, ctx.env)
    const skippedNames = skippedByEnv(ctx.env)

    const specs: JobSpec[] = []
    for (const [index, job] of jobs.entries()) {
      const spec = baseSpec(job, hook, isBackground(job, hook, ctx.mode))
      const excludedTag = (job.tags ?? []).find((tag) => excluded.has(tag))
      const reason =
        hookReason ??
        (skippedNames.has(job.name) ? "HOOKD_SKIP" : undefined) ??
        (excludedTag !== undefined ? `excluded tag ${excludedTag}` : undefined) ??
        (yield* firstReason([
          job.skip === undefined ? undefined : skipReason(job.skip, conditions),
          job.only === undefined ? undefined : onlyReason(job.only, conditions)
        ]))
      if (reason !== undefined) {
        specs.push({ ...spec, skip_reason: reason })
        continue
      }
      let stagedFiles: ReadonlyArray<string> | undefined
      if (usesStagedFiles(job.run)) {
        const staged = yield* git.stagedFiles
        if (!Array.isArray(staged)) {
          const path = ["hooks", ctx.hook, "jobs", index, "run"]
          const location = loaded.locations.find(path)
          return yield* new ConfigInvalid({
            file: location?.file ?? loaded.source,
            line: location?.line,
            path: formatPath(path),
            message: `{staged_files} could not be listed: ${(staged as { failure: string }).failure}`
          })
        }
        // `lint {staged_files}` with nothing staged would lint everything: skip instead.
        if (staged.length === 0) {
          specs.push({ ...spec, skip_reason: "no staged files" })
          continue
        }
        stagedFiles = staged
      }
      const run = expandTemplates(job.run, { args: ctx.args, worktree: ctx.worktree, repoRoot: ctx.repoRoot, stagedFiles })
      specs.push({ ...spec, run })
    }
    return specs
  })

/** Runs the checks in order and stops at the first that gives a reason. */
const firstReason = (checks: ReadonlyArray<Effect.Effect<string | undefined> | undefined>): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    for (const check of checks) {
      if (check === undefined) continue
      const reason = yield* check
      if (reason !== undefined) return reason
    }
    return undefined
  })
