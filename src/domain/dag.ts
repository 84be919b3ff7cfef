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
  // Depth-first search with colours; the grey stack is the current path, so a grey hit is a cycle.
  const colour = new Map<string, "grey" | "black">()
  const stack: string[] = []
  const visit = (name: string): ReadonlyArray<string> | undefined => {
    const c = colour.get(name)
    if (c === "black") return undefined
    if (c === "grey") return [...stack.slice(stack.indexOf(name)), name]
    colour.set(name, "grey")
    stack.push(name)
    for (const need of byName.get(name)!.needs ?? []) {
      const cycle = visit(need)
      if (cycle) return cycle
    }
    stack.pop()
    colour.set(name, "black")
    return undefined
  }
  for (const job of jobs) {
    const cycle = visit(job.name)
    if (cycle) {
      return { kind: "cycle", job: cycle[0], cycle, message: `jobs form a cycle: ${cycle.join(" -> ")}` }
    }
  }
  return undefined
}

/** Every job that (transitively) needs one of `roots`, roots included, in declaration order. */
export const dependentsClosure = (jobs: ReadonlyArray<NeedsNode>, roots: ReadonlyArray<string>): string[] => {
  const selected = new Set(roots)
  let grew = true
  while (grew) {
    grew = false
    for (const job of jobs) {
      if (!selected.has(job.name) && (job.needs ?? []).some((n) => selected.has(n))) {
        selected.add(job.name)
        grew = true
      }
    }
  }
  return jobs.filter((j) => selected.has(j.name)).map((j) => j.name)
}
