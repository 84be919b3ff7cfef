// The input cache's shell (SPEC §8 `inputs:`): for each job that lists inputs, compute its key, find
// the job's last run in this worktree, check its outputs, and let the pure decision say whether it
// runs. A job skipped as unchanged carries the reason and the matched run; every job with inputs
// carries its key, which its row records. Nothing here can fail a hook: a key that cannot be
// computed (not a git worktree, git missing) means the job simply runs.
import { Effect } from "effect"
import { lstat } from "node:fs/promises"
import { join } from "node:path"
import { processEnv } from "../config/processes"
import { decideInputCache, isForced, LAST_RUN_STATUSES, type CachedJobSpec } from "../domain/input-cache"
import type { JobSpec } from "../protocol/types"
import type { RepoStore } from "../store/repo-store"
import { computeInputKey, type InputKeyContext } from "./input-key"

export interface CacheRequest {
  readonly worktree: string
  /** The hook's environment (HOOKD_FORCE, GIT_DIR, the values of listed env names). */
  readonly env: Readonly<Record<string, string>>
}

/** One line per job with inputs: why it runs, or that it is skipped, or why no key could be made. */
export interface CacheNote {
  readonly job: string
  readonly outcome: "run" | "skip" | "no key"
  readonly detail: string
}

export interface CachePlan {
  readonly specs: ReadonlyArray<CachedJobSpec>
  readonly notes: ReadonlyArray<CacheNote>
}

const exists = (path: string): Effect.Effect<boolean> =>
  Effect.promise(() =>
    lstat(path).then(
      () => true,
      () => false
    )
  )

const missingOutputs = (worktree: string, outputs: ReadonlyArray<string>): Effect.Effect<string[]> =>
  Effect.map(Effect.forEach(outputs, (output) => exists(join(worktree, output))), (found) => outputs.filter((_, i) => !found[i]))

/** The env a job would run with (runner: supervisor env < hook env < job env), for one name. */
const jobEnvValue =
  (hookEnv: Readonly<Record<string, string>>) =>
  (spec: JobSpec, name: string): string | undefined =>
    spec.env !== undefined && Object.hasOwn(spec.env, name)
      ? spec.env[name]
      : Object.hasOwn(hookEnv, name)
        ? hookEnv[name]
        : process.env[name]

export const planInputCache = (
  store: Pick<RepoStore, "newestJobInWorktree">,
  request: CacheRequest,
  specs: ReadonlyArray<JobSpec>,
  now: () => number = Date.now
): Effect.Effect<CachePlan> =>
  Effect.gen(function* () {
    if (!specs.some((s) => s.inputs !== undefined && s.skip_reason === undefined)) return { specs, notes: [] }
    const ctx: InputKeyContext = {
      worktree: request.worktree,
      gitEnv: processEnv(request.env),
      jobEnv: jobEnvValue(request.env),
      hashed: new Map(),
      listed: new Map()
    }
    const forced = isForced(request.env)
    const notes: CacheNote[] = []
    const planned: CachedJobSpec[] = []
    // One job after another: jobs listing the same files share the hashes already made.
    for (const spec of specs) {
      if (spec.inputs === undefined || spec.skip_reason !== undefined) {
        planned.push(spec)
        continue
      }
      const computed = yield* computeInputKey(ctx, spec)
      if ("failure" in computed) {
        notes.push({ job: spec.name, outcome: "no key", detail: computed.failure })
        planned.push(spec)
        continue
      }
      const previous = yield* store.newestJobInWorktree(request.worktree, spec.name, LAST_RUN_STATUSES).pipe(
        Effect.catchAll((e) => {
          notes.push({ job: spec.name, outcome: "no key", detail: `the last run could not be read: ${e.message}` })
          return Effect.succeed(undefined)
        })
      )
      const decision = decideInputCache({
        key: computed.key,
        forced,
        missingOutputs: yield* missingOutputs(request.worktree, spec.outputs ?? []),
        previous,
        now: now()
      })
      if (decision.run) {
        notes.push({ job: spec.name, outcome: "run", detail: decision.why })
        planned.push({ ...spec, input_key: computed.key })
      } else {
        notes.push({ job: spec.name, outcome: "skip", detail: decision.reason })
        planned.push({ ...spec, input_key: computed.key, skip_reason: decision.reason, input_match: decision.matched })
      }
    }
    return { specs: planned, notes }
  })
