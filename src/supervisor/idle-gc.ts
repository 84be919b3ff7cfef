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
const AFTER_START_REDUCE_WAIT_MS = 1_500
const AFTER_START_POLL_MS = 100
/** The young generation once V8 has shrunk it (from 16 MB; 1–2 MB shrunk). */
const YOUNG_GENERATION_SHRUNK = 4 * 1024 * 1024

const youngGenerationBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? Number.POSITIVE_INFINITY

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
    // The start sweep is the start-up work's last step (main.ts): it records itself when done.
    const startupDone = retention.lastSweep() !== undefined
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
      for (let waited = 0; waited < AFTER_START_REDUCE_WAIT_MS; waited += AFTER_START_POLL_MS) {
        yield* Effect.sleep(AFTER_START_POLL_MS)
        if (!idleNow()) break
        if (youngGenerationBytes() <= YOUNG_GENERATION_SHRUNK) {
          gc()
          break
        }
      }
    }
    collectionsWhileQuiet++
    const after = process.memoryUsage()
    yield* logInfo("idle_gc", { collection, heap_total_mib: mib(heapTotal), heap_total_after_mib: mib(after.heapTotal), heap_used_after_mib: mib(after.heapUsed), rss_after_mib: mib(after.rss) })
  }
})
