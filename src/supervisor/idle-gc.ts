// Collects the garbage of an idle supervisor (domain/idle-gc.ts says when). V8 offers no collection
// call without --expose-gc on node's command line (bin/hookd is not the only way hookd is started):
// the flag set at run time exposes `gc` in contexts made after it, so a context of its own provides
// it, and the supervisor's global never gets a `gc`. The loader sets the same flag before compiling
// the bundle (code-cache.ts: V8 keys its code cache by the flags).
import { Clock, Effect } from "effect"
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { idleCollection } from "../domain/idle-gc"
import { JobRunner } from "../jobs/runner"
import { Lifecycle } from "../lifecycle/lifecycle"
import { logInfo } from "../logging/event-log"
import { Retention } from "../retention/service"

/** V8's `gc`: no argument, a full collection; `{ type: "minor" }`, one of the young generation. */
type GcFunction = (options?: { readonly type: "minor" }) => void

const gcFunction = (): GcFunction | undefined => {
  try {
    setFlagsFromString("--expose-gc")
    const gc: unknown = runInNewContext("gc")
    return typeof gc === "function" ? (gc as GcFunction) : undefined
  } catch {
    return undefined
  }
}

const TICK_MS = 1_000
/** After the start-up pair of young collections, how long and how often to look for V8's own collection. */
const AFTER_START_REDUCE_WAIT_MS = 500
const AFTER_START_POLL_MS = 100
/** The young generation once V8 has shrunk it (from 16 MB; 1–2 MB shrunk). */
const YOUNG_GENERATION_SHRUNK = 4 * 1024 * 1024

const youngGenerationBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? Number.POSITIVE_INFINITY

/**
 * V8 shrinks its young generation (to 1 MB, a quarter of it resident) in a collection once the
 * allocation rate it measured over its last collections is low: a run of young-generation
 * collections with next to nothing allocated between them is such a measure (on an empty young
 * generation ten take a few milliseconds in all). Measured, as V8's heuristics are not documented: after
 * V8's own memory-reducing collection the young generation stayed at 4 MB (1.3 MB resident).
 */
const YOUNG_COLLECTIONS_TO_SHRINK = 10
const YOUNG_SHRINK_TRIES = 5
/** The young generation at its least (V8's minimum semi-space under --optimize-for-size). */
const YOUNG_GENERATION_LEAST = 1024 * 1024
const shrinkYoungGeneration = (gc: GcFunction): void => {
  for (let i = 0; i < YOUNG_COLLECTIONS_TO_SHRINK; i++) gc({ type: "minor" })
}

const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10

export const collectWhenIdle = Effect.gen(function* () {
  const lifecycle = yield* Lifecycle
  const runner = yield* JobRunner
  const retention = yield* Retention
  // Synchronous: FiberSet.size is a plain read.
  const idleNow = () => runner.liveJobs().length === 0 && Effect.runSync(lifecycle.inFlight) === 0
  let gc: GcFunction | undefined | null = null // made on first use
  let quietSince = yield* Clock.currentTimeMillis
  let quietSinceStart = true
  let collectionsWhileQuiet = 0
  for (;;) {
    yield* Effect.sleep(TICK_MS)
    const now = yield* Clock.currentTimeMillis
    const busy = (yield* lifecycle.inFlight) > 0 || runner.liveJobs().length > 0
    if (busy) {
      quietSince = now
      quietSinceStart = false
      collectionsWhileQuiet = 0
      continue
    }
    const { heapTotal, heapUsed } = process.memoryUsage()
    // The start sweep (or its skipping after a clean stop) is the start-up work's last step (main.ts).
    const startupDone = retention.startDone()
    const collection = idleCollection({ busy, quietMs: now - quietSince, quietSinceStart, startupDone, heapTotal, heapUsed, collectionsWhileQuiet })
    if (collection === "none") continue
    if (gc === null) gc = gcFunction()
    if (gc === undefined) return
    if (collection === "full") gc()
    else {
      gc({ type: "minor" })
      gc({ type: "minor" })
      // V8's own memory-reducing collection follows (it shrinks the young generation); a full one
      // after it gives back the old generation's pages that one freed (64 instead of 67 MiB). Not
      // before it: a full collection while V8's is under way finishes it without reducing (78 MiB).
      // It does not always come (a supervisor with no history at all): then the full one now.
      let reduced = false
      for (let waited = 0; waited < AFTER_START_REDUCE_WAIT_MS && !reduced; waited += AFTER_START_POLL_MS) {
        yield* Effect.sleep(AFTER_START_POLL_MS)
        if (!idleNow()) break
        reduced = youngGenerationBytes() <= YOUNG_GENERATION_SHRUNK
      }
      if (idleNow()) gc()
      // A second one once the first's (concurrent) sweeping is done gives back the old generation's
      // pages left empty: without V8's own collection, 3.3 MiB more (55.5 -> 52.4 MiB, no history).
      yield* Effect.sleep(AFTER_START_POLL_MS)
      if (idleNow()) gc()
      // Then the young generation to its least: a few tries, as V8 may judge the allocation rate too high yet.
      for (let tries = 0; tries < YOUNG_SHRINK_TRIES && youngGenerationBytes() > YOUNG_GENERATION_LEAST; tries++) {
        if (tries > 0) yield* Effect.sleep(AFTER_START_POLL_MS)
        if (!idleNow()) break
        shrinkYoungGeneration(gc)
      }
    }
    collectionsWhileQuiet++
    const after = process.memoryUsage()
    yield* logInfo("idle_gc", { collection, heap_total_mib: mib(heapTotal), heap_total_after_mib: mib(after.heapTotal), heap_used_after_mib: mib(after.heapUsed), young_generation_after_mib: mib(youngGenerationBytes()), rss_after_mib: mib(after.rss) })
  }
})
