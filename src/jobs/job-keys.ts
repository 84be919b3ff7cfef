// `concurrency` (SPEC §3) in the runner: the live runs of each job key (repo, worktree, job name),
// and the decision for each job of a new invocation (src/domain/concurrency.ts) turned into what
// the runner does — a skip reason, the earlier runs to outlast, the earlier runs to supersede.
import { decideConcurrency, defaultPolicy } from "../domain/concurrency"
import type { CachedJobSpec } from "../domain/input-cache"
import type { LiveJob } from "./invocation"

const keyOf = (repoId: string, worktree: string, name: string) => `${repoId}\0${worktree}\0${name}`

export interface ConcurrencyPlan {
  /** The specs with `skip_reason` set for the jobs that `skip` because a run is live. */
  readonly specs: ReadonlyArray<CachedJobSpec>
  /** By job name: the earlier runs it starts after (queue, replace). */
  readonly after: ReadonlyMap<string, ReadonlyArray<LiveJob>>
  /** Earlier runs to cancel with `by: "superseded"` once the new invocation is launched (replace). */
  readonly supersede: ReadonlyArray<LiveJob>
}

export const makeJobKeyIndex = () => {
  const runs = new Map<string, LiveJob[]>()
  return {
    add: (job: LiveJob): void => {
      const key = keyOf(job.repoId, job.worktree, job.name)
      runs.set(key, [...(runs.get(key) ?? []), job])
    },
    remove: (job: LiveJob): void => {
      const key = keyOf(job.repoId, job.worktree, job.name)
      const left = (runs.get(key) ?? []).filter((j) => j !== job)
      if (left.length === 0) runs.delete(key)
      else runs.set(key, left)
    },
    /** Decides, for each job of a new invocation, what its live earlier runs mean for it. */
    plan: (repoId: string, worktree: string, specs: ReadonlyArray<CachedJobSpec>): ConcurrencyPlan => {
      const after = new Map<string, ReadonlyArray<LiveJob>>()
      const supersede: LiveJob[] = []
      const planned = specs.map((spec): CachedJobSpec => {
        if (spec.skip_reason !== undefined) return spec
        const earlier = runs.get(keyOf(repoId, worktree, spec.name)) ?? []
        const decision = decideConcurrency(spec.concurrency ?? defaultPolicy(spec.background), earlier)
        switch (decision.kind) {
          case "start":
            return spec
          case "skip":
            return { ...spec, skip_reason: decision.reason }
          case "replace":
            supersede.push(...earlier)
            after.set(spec.name, earlier)
            return spec
          case "queue":
            after.set(spec.name, earlier)
            return spec
        }
      })
      return { specs: planned, after, supersede }
    }
  }
}
