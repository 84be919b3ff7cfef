// The lifecycle's request tracking: what shutdown waits for, and for how long at most.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { Lifecycle, LifecycleLive } from "../../src/lifecycle/lifecycle"

const withLifecycle = <A, E>(body: (lifecycle: Lifecycle["Type"]) => Effect.Effect<A, E>) =>
  Effect.flatMap(Lifecycle, body).pipe(Effect.provide(LifecycleLive))

describe("requests tracked for shutdown", () => {
  it.live("awaitRequestsDone returns once the last tracked request ended, and counts them meanwhile", () =>
    withLifecycle((lifecycle) =>
      Effect.gen(function* () {
        const release = yield* Deferred.make<void>()
        const request = yield* Effect.fork(lifecycle.track(Deferred.await(release).pipe(Effect.as("answered"))))
        yield* Effect.yieldNow()
        expect(yield* lifecycle.inFlight).toBe(1)
        const waiting = yield* Effect.fork(lifecycle.awaitRequestsDone(60_000))
        yield* Effect.yieldNow()
        expect(waiting.unsafePoll()).toBeNull()
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(waiting)
        expect(yield* Fiber.join(request)).toBe("answered")
        expect(yield* lifecycle.inFlight).toBe(0)
      })
    )
  )

  it.live("a request that never ends holds shutdown only for the bound, even inside an uninterruptible finalizer", () =>
    withLifecycle((lifecycle) =>
      Effect.gen(function* () {
        yield* Effect.fork(lifecycle.track(Effect.never))
        yield* Effect.yieldNow()
        // As main runs it: in the teardown finalizer of a fiber that was interrupted.
        const exit = yield* Effect.interrupt.pipe(Effect.ensuring(lifecycle.awaitRequestsDone(50)), Effect.exit)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(yield* lifecycle.inFlight).toBe(1)
      })
    )
  )

  it.live("interrupting the caller (its connection closed) interrupts the tracked request", () =>
    withLifecycle((lifecycle) =>
      Effect.gen(function* () {
        const interrupted = yield* Deferred.make<void>()
        const caller = yield* Effect.fork(lifecycle.track(Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(caller)
        yield* Deferred.await(interrupted)
        expect(yield* lifecycle.inFlight).toBe(0)
      })
    )
  )

  it.live("the first shutdown reason wins and draining starts with it", () =>
    withLifecycle((lifecycle) =>
      Effect.gen(function* () {
        expect(yield* lifecycle.isDraining).toBe(false)
        yield* lifecycle.requestShutdown("SIGTERM")
        yield* lifecycle.requestShutdown("idle")
        expect(yield* lifecycle.isDraining).toBe(true)
        expect(yield* Deferred.await(lifecycle.shutdown)).toBe("SIGTERM")
      })
    )
  )
})
