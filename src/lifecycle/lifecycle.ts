// Shared lifecycle state: the shutdown signal (SIGTERM/SIGINT/SIGHUP/Shutdown/idle exit), the
// draining flag that makes new requests answer BUSY, the connection count for Status, and the
// requests being handled (so shutdown lets tails write their final StreamEnd).
import { Context, Deferred, Effect, Fiber, FiberSet, Layer, Ref } from "effect"

export interface LifecycleService {
  /** Completes, with the reason, when the supervisor starts shutting down. */
  readonly shutdown: Deferred.Deferred<string>
  /** The first reason wins; later requests change nothing. */
  readonly requestShutdown: (reason: string) => Effect.Effect<void>
  readonly isDraining: Effect.Effect<boolean>
  /** Open connections, as the socket server counts them (0 until it serves). */
  readonly connectionCount: Effect.Effect<number>
  readonly countConnectionsWith: (count: Effect.Effect<number>) => Effect.Effect<void>
  /** Runs one request's handling as a tracked fiber, so shutdown can wait for it. */
  readonly track: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly inFlight: Effect.Effect<number>
  /** Waits, at most `timeoutMs`, until no request is being handled. */
  readonly awaitRequestsDone: (timeoutMs: number) => Effect.Effect<void>
}

export class Lifecycle extends Context.Tag("hookd/Lifecycle")<Lifecycle, LifecycleService>() {}

export const makeLifecycle = Effect.gen(function* () {
  const shutdown = yield* Deferred.make<string>()
  const requests = yield* FiberSet.make()
  const connectionCounter = yield* Ref.make<Effect.Effect<number>>(Effect.succeed(0))
  return {
    shutdown,
    requestShutdown: Effect.fn("Lifecycle.requestShutdown")(function* (reason: string) {
      yield* Deferred.succeed(shutdown, reason)
    }),
    isDraining: Deferred.isDone(shutdown),
    connectionCount: Effect.flatten(Ref.get(connectionCounter)),
    countConnectionsWith: (count) => Ref.set(connectionCounter, count),
    track: (effect) =>
      Effect.flatMap(FiberSet.run(requests, effect), (fiber) =>
        // The caller interrupted (its connection closed): so is the request.
        Fiber.join(fiber).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber)))
      ),
    inFlight: FiberSet.size(requests),
    awaitRequestsDone: Effect.fn("Lifecycle.awaitRequestsDone")(function* (timeoutMs: number) {
      // Interruptible so the timeout can end it: shutdown runs this in an (uninterruptible) finalizer.
      yield* FiberSet.awaitEmpty(requests).pipe(Effect.interruptible, Effect.timeout(timeoutMs), Effect.ignore)
    })
  } satisfies LifecycleService
})

export const LifecycleLive = Layer.scoped(Lifecycle, makeLifecycle)
