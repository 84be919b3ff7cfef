// `--idle-exit <duration>`: ask for shutdown once there has been no connection, no request and no
// job for that long (socket activation starts us again on the next connection).
import { Clock, Effect } from "effect"
import { logInfo } from "../logging/event-log"
import { JobRunner } from "../jobs/runner"
import { Lifecycle } from "../lifecycle/lifecycle"

export const watchIdle = (idleMs: number) =>
  Effect.gen(function* () {
    const lifecycle = yield* Lifecycle
    const runner = yield* JobRunner
    const tick = Math.max(50, Math.min(1000, Math.floor(idleMs / 4)))
    let idleSince = yield* Clock.currentTimeMillis
    for (;;) {
      yield* Effect.sleep(tick)
      const now = yield* Clock.currentTimeMillis
      const busy = (yield* lifecycle.connectionCount) > 0 || (yield* lifecycle.inFlight) > 0 || runner.liveJobs().length > 0
      if (busy) {
        idleSince = now
      } else if (now - idleSince >= idleMs) {
        yield* logInfo("idle_exit", { idle_ms: now - idleSince })
        yield* lifecycle.requestShutdown("idle")
        return
      }
    }
  })
