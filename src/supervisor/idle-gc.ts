// Collects the garbage of an idle supervisor (domain/idle-gc.ts says when). V8 offers no collection
// call without --expose-gc on node's command line (bin/hookd is not the only way hookd is started):
// the flag set at run time exposes `gc` in contexts made after it, so a context of its own provides
// it, and the supervisor's global never gets a `gc`. The loader sets the same flag before compiling
// the bundle (code-cache.ts: V8 keys its code cache by the flags).
import { Clock, Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { idleCollection } from "../domain/idle-gc"
import { JobRunner } from "../jobs/runner"
import { Lifecycle } from "../lifecycle/lifecycle"
import { logInfo } from "../logging/event-log"

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

const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10

export const collectWhenIdle = Effect.gen(function* () {
  const lifecycle = yield* Lifecycle
  const runner = yield* JobRunner
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
    const collection = idleCollection({ busy, quietMs: now - quietSince, quietSinceStart, heapTotal, heapUsed, collectionsWhileQuiet })
    if (collection === "none") continue
    if (gc === null) gc = gcFunction()
    if (gc === undefined) return
    if (collection === "full") gc()
    else {
      gc({ type: "minor" })
      gc({ type: "minor" })
    }
    collectionsWhileQuiet++
    const after = process.memoryUsage()
    yield* logInfo("idle_gc", { collection, heap_total_mib: mib(heapTotal), heap_total_after_mib: mib(after.heapTotal), heap_used_after_mib: mib(after.heapUsed), rss_after_mib: mib(after.rss) })
  }
})
