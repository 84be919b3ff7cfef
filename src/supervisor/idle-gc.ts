// Collects the garbage of an idle supervisor (domain/idle-gc.ts says when). V8 offers no collection
// call without --expose-gc on node's command line (bin/hookd is not the only way hookd is started):
// the flag set at run time exposes `gc` in contexts made after it, so a context of its own provides
// it, and the supervisor's global never gets a `gc`. The loader sets the same flag before compiling
// the bundle (code-cache.ts: V8 keys its code cache by the flags).
import { Clock, Effect } from "effect"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { shouldCollectIdle } from "../domain/idle-gc"
import { JobRunner } from "../jobs/runner"
import { Lifecycle } from "../lifecycle/lifecycle"
import { logInfo } from "../logging/event-log"

const gcFunction = (): (() => void) | undefined => {
  try {
    setFlagsFromString("--expose-gc")
    const gc: unknown = runInNewContext("gc")
    return typeof gc === "function" ? (gc as () => void) : undefined
  } catch {
    return undefined
  }
}

const TICK_MS = 1_000

const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10

export const collectWhenIdle = Effect.gen(function* () {
  const lifecycle = yield* Lifecycle
  const runner = yield* JobRunner
  let gc: (() => void) | undefined | null = null // made on first use
  let quietSince = yield* Clock.currentTimeMillis
  let collectionsWhileQuiet = 0
  for (;;) {
    yield* Effect.sleep(TICK_MS)
    const now = yield* Clock.currentTimeMillis
    const busy = (yield* lifecycle.inFlight) > 0 || runner.liveJobs().length > 0
    if (busy) {
      quietSince = now
      collectionsWhileQuiet = 0
      continue
    }
    const { heapTotal, heapUsed } = process.memoryUsage()
    if (!shouldCollectIdle({ busy, quietMs: now - quietSince, heapTotal, heapUsed, collectionsWhileQuiet })) continue
    if (gc === null) gc = gcFunction()
    if (gc === undefined) return
    gc()
    collectionsWhileQuiet++
    const after = process.memoryUsage()
    yield* logInfo("idle_gc", { heap_total_mib: mib(heapTotal), heap_total_after_mib: mib(after.heapTotal), heap_used_after_mib: mib(after.heapUsed), rss_after_mib: mib(after.rss) })
  }
})
