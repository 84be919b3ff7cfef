// The jobs this process is running, by (repo, invocation, name). The runner keeps it; reconcile,
// when a repository's database is opened again in the same process (it was damaged, closed and
// repaired while jobs ran), reads it: a job running here is not a leftover of a dead supervisor,
// and must be neither killed nor marked crashed — its own fiber records its end.
import { Context, Layer } from "effect"

export interface RunningHereService {
  readonly has: (repoId: string, invocationId: string, name: string) => boolean
  readonly add: (repoId: string, invocationId: string, name: string) => void
  readonly remove: (repoId: string, invocationId: string, name: string) => void
}

export class RunningHere extends Context.Tag("hookd/RunningHere")<RunningHere, RunningHereService>() {}

const keyOf = (repoId: string, invocationId: string, name: string) => `${repoId}/${invocationId}/${name}`

export const makeRunningHere = (): RunningHereService => {
  const keys = new Set<string>()
  return {
    has: (repoId, invocationId, name) => keys.has(keyOf(repoId, invocationId, name)),
    add: (repoId, invocationId, name) => void keys.add(keyOf(repoId, invocationId, name)),
    remove: (repoId, invocationId, name) => void keys.delete(keyOf(repoId, invocationId, name))
  }
}

export const RunningHereLive = Layer.sync(RunningHere, makeRunningHere)
