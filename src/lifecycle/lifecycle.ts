// Shared lifecycle state: the shutdown signal (SIGTERM/SIGINT/Shutdown/idle exit), the draining
// flag that makes new requests answer BUSY, the connection count for Status, and the number of
// requests being handled (so shutdown lets tails write their final StreamEnd).
import { Clock, Context, Deferred, Effect, Layer } from "effect"

export interface LifecycleService {
  /** Completes, with the reason, when the supervisor starts shutting down. */
  readonly shutdown: Deferred.Deferred<string>
  readonly requestShutdown: (reason: string) => Effect.Effect<void>
  readonly isDraining: Effect.Effect<boolean>
  readonly connectionCount: () => number
  readonly setConnectionCounter: (count: () => number) => void
  /** Wraps one request's handling so shutdown can wait for it. */
  readonly track: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly inFlight: () => number
  /** Waits (bounded) until no request is being handled. */
  readonly awaitRequestsDone: (timeoutMs: number) => Effect.Effect<void>
}

export class Lifecycle extends Context.Tag("hookd/Lifecycle")<Lifecycle, LifecycleService>() {}

export const makeLifecycle = Effect.gen(function* () {
  const shutdown = yield* Deferred.make<string>()
  let counter: () => number = () => 0
  let inFlight = 0
  const awaitRequestsDone = (timeoutMs: number) =>
    Effect.gen(function* () {
      const deadline = (yield* Clock.currentTimeMillis) + timeoutMs
      while (inFlight > 0 && (yield* Clock.currentTimeMillis) < deadline) yield* Effect.sleep("10 millis")
    })
  return {
    shutdown,
    requestShutdown: (reason) => Deferred.succeed(shutdown, reason).pipe(Effect.asVoid),
    isDraining: Deferred.isDone(shutdown),
    connectionCount: () => counter(),
    setConnectionCounter: (count) => {
      counter = count
    },
    track: (effect) =>
      Effect.acquireUseRelease(
        Effect.sync(() => inFlight++),
        () => effect,
        () => Effect.sync(() => inFlight--)
      ),
    inFlight: () => inFlight,
    awaitRequestsDone
  } satisfies LifecycleService
})

export const layerLifecycle = (lifecycle: LifecycleService) => Layer.succeed(Lifecycle, lifecycle)
