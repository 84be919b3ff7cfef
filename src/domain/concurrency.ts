// What a new run of a job does when runs of the same job (same repo, worktree and name) are still
// live (SPEC §3 `concurrency`). Pure: the runner supplies the live runs and carries the decision out.

import type { ConcurrencyPolicy } from "../protocol/types"

export type { ConcurrencyPolicy }

/** A live (queued, running or cancelling) earlier run of the same job. */
export interface EarlierRun {
  readonly invocationId: string
  readonly status: "queued" | "running" | "cancelling"
}

export type ConcurrencyDecision =
  /** Start as usual (waiting only for needs and a slot). */
  | { readonly kind: "start" }
  /** Cancel these runs (`by: superseded`) and start once they have ended. */
  | { readonly kind: "replace"; readonly cancel: ReadonlyArray<string> }
  /** Stay queued until these runs have ended, then start. */
  | { readonly kind: "queue"; readonly after: ReadonlyArray<string> }
  /** Do not run: recorded skipped with this reason. */
  | { readonly kind: "skip"; readonly reason: string }

/** Background jobs replace (two installs in one node_modules corrupt it); foreground ones run in parallel. */
export const defaultPolicy = (background: boolean): ConcurrencyPolicy => (background ? "replace" : "parallel")

export const decideConcurrency = (policy: ConcurrencyPolicy, earlier: ReadonlyArray<EarlierRun>): ConcurrencyDecision => {
  if (earlier.length === 0 || policy === "parallel") return { kind: "start" }
  const ids = earlier.map((r) => r.invocationId)
  switch (policy) {
    case "replace":
      return { kind: "replace", cancel: ids }
    case "queue":
      return { kind: "queue", after: ids }
    case "skip": {
      // Name the run that is doing the work: the running one, else the oldest waiting one.
      const busy = earlier.find((r) => r.status === "running") ?? earlier[0]!
      return { kind: "skip", reason: `already running in ${busy.invocationId}` }
    }
  }
}
