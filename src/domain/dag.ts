// Dependency planning for one invocation's jobs (`needs`). Pure: no I/O.

export interface NeedsNode {
  readonly name: string
  readonly needs?: ReadonlyArray<string>
}

export type NeedsProblem =
  | { readonly kind: "duplicate"; readonly job: string; readonly message: string }
  | { readonly kind: "unknown"; readonly job: string; readonly need: string; readonly message: string }
  | { readonly kind: "cycle"; readonly job: string; readonly cycle: ReadonlyArray<string>; readonly message: string }

/**
 * Checks that names are unique, every `needs` names a job of the same invocation, and the graph
 * has no cycle. Returns the first problem found (in declaration order), or undefined.
 */
export const findNeedsProblem = (jobs: ReadonlyArray<NeedsNode>): NeedsProblem | undefined => {
  const byName = new Map<string, NeedsNode>()
  for (const job of jobs) {
    if (byName.has(job.name)) {
      return { kind: "duplicate", job: job.name, message: `job "${job.name}" is defined twice` }
    }
    byName.set(job.name, job)
  }
  for (const job of jobs) {
    for (const need of job.needs ?? []) {
      if (!byName.has(need)) {
        return { kind: "unknown", job: job.name, need, message: `job "${job.name}" needs unknown job "${need}"` }
      }
    }
  }
  const cycle = findCycle(jobs, byName)
  if (cycle) return { kind: "cycle", job: cycle[0], cycle, message: `jobs form a cycle: ${cycle.join(" -> ")}` }
  return undefined
}

/**
 * Depth-first search with colours, started from each job in declaration order; the grey path is
 * the current chain of needs, so reaching a grey job closes a cycle. Iterative (an explicit stack),
 * because a chain of tens of thousands of needs would overflow the call stack; linear in jobs + needs.
 */
const findCycle = (jobs: ReadonlyArray<NeedsNode>, byName: ReadonlyMap<string, NeedsNode>): ReadonlyArray<string> | undefined => {
  const colour = new Map<string, "grey" | "black">()
  const path: string[] = []
  /** Per entry of `path`: how many of its needs have been followed. */
  const next: number[] = []
  for (const root of jobs) {
    if (colour.has(root.name)) continue
    colour.set(root.name, "grey")
    path.push(root.name)
    next.push(0)
    while (path.length > 0) {
      const top = path.length - 1
      const needs = byName.get(path[top]!)!.needs ?? []
      if (next[top]! >= needs.length) {
        colour.set(path.pop()!, "black")
        next.pop()
        continue
      }
      const need = needs[next[top]!++]!
      const c = colour.get(need)
      if (c === "grey") return [...path.slice(path.indexOf(need)), need]
      if (c === "black") continue
      colour.set(need, "grey")
      path.push(need)
      next.push(0)
    }
  }
  return undefined
}

/** Every job that (transitively) needs one of `roots`, roots included, in declaration order. */
export const dependentsClosure = (jobs: ReadonlyArray<NeedsNode>, roots: ReadonlyArray<string>): string[] => {
  // Who needs each job, so every job and every need is looked at once (linear, not one pass per level).
  const neededBy = new Map<string, string[]>()
  for (const job of jobs) {
    for (const need of job.needs ?? []) {
      const list = neededBy.get(need)
      if (list === undefined) neededBy.set(need, [job.name])
      else list.push(job.name)
    }
  }
  const selected = new Set(roots)
  const pending = [...selected]
  while (pending.length > 0) {
    for (const dependent of neededBy.get(pending.pop()!) ?? []) {
      if (!selected.has(dependent)) {
        selected.add(dependent)
        pending.push(dependent)
      }
    }
  }
  return jobs.filter((j) => selected.has(j.name)).map((j) => j.name)
}
