// The FIFO slot pool that bounds running jobs.
import { Deferred, Effect, Fiber } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeJobSlots } from "../../src/jobs/slots"

describe("job slots", () => {
  it.effect("never runs more than the permits at once, and admits waiters in arrival order", () =>
    Effect.gen(function* () {
      const slots = makeJobSlots(2)
      const gates = yield* Effect.forEach([0, 1, 2, 3, 4, 5], () => Deferred.make<void>())
      const order: number[] = []
      let running = 0
      let most = 0
      const fibers = yield* Effect.forEach(gates, (gate, i) =>
        Effect.fork(
          slots.withSlot(
            Effect.gen(function* () {
              order.push(i)
              running++
              most = Math.max(most, running)
              yield* Deferred.await(gate)
              running--
            })
          )
        )
      )
      yield* Effect.yieldNow()
      expect(order).toEqual([0, 1])
      expect(slots.waiting()).toBe(4)
      // Release out of order: whoever finishes, the next admitted is the oldest waiter.
      for (const i of [1, 0, 3, 2, 5, 4]) {
        yield* Deferred.succeed(gates[i], undefined)
        yield* Effect.yieldNow()
        yield* Effect.yieldNow()
      }
      yield* Effect.forEach(fibers, Fiber.join)
      expect(order).toEqual([0, 1, 2, 3, 4, 5])
      expect(most).toBe(2)
      expect(slots.free()).toBe(2)
    }))

  it.effect("a waiter interrupted in the queue never runs and takes no permit", () =>
    Effect.gen(function* () {
      const slots = makeJobSlots(1)
      const gate = yield* Deferred.make<void>()
      let ranQueued = false
      const holder = yield* Effect.fork(slots.withSlot(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const queued = yield* Effect.fork(slots.withSlot(Effect.sync(() => (ranQueued = true))))
      yield* Effect.yieldNow()
      expect(slots.waiting()).toBe(1)
      yield* Fiber.interrupt(queued)
      expect(slots.waiting()).toBe(0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(ranQueued).toBe(false)
      expect(slots.free()).toBe(1)
    }))

  it.effect("the permit comes back when the holder fails or is interrupted", () =>
    Effect.gen(function* () {
      const slots = makeJobSlots(1)
      yield* Effect.exit(slots.withSlot(Effect.fail("boom")))
      expect(slots.free()).toBe(1)
      const f = yield* Effect.fork(slots.withSlot(Effect.never))
      yield* Effect.yieldNow()
      expect(slots.free()).toBe(0)
      yield* Fiber.interrupt(f)
      expect(slots.free()).toBe(1)
    }))
})
