// The FIFO slot pool that bounds running jobs.
import { Deferred, Effect, Fiber } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { makeJobSlots, newSlotHold } from "../../src/jobs/slots"

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

  it.effect("a hold keeps its slot until released, and releasing it again (or one never granted) gives back nothing", () =>
    Effect.gen(function* () {
      const slots = makeJobSlots(1)
      const first = newSlotHold()
      const second = newSlotHold()
      const never = newSlotHold()
      yield* slots.acquire(first)
      expect(first.held).toBe(true)
      // A hold that already holds its slot takes no second one.
      yield* slots.acquire(first)
      expect(slots.free()).toBe(0)
      const waiting = yield* Effect.fork(slots.acquire(second))
      yield* Effect.yieldNow()
      expect(slots.waiting()).toBe(1)
      slots.release(never)
      expect([slots.free(), slots.waiting()]).toEqual([0, 1])
      // The permit passes straight to the waiter: `free` never goes up in between.
      slots.release(first)
      expect([first.held, second.held, slots.free(), slots.waiting()]).toEqual([false, true, 0, 0])
      yield* Fiber.join(waiting)
      slots.release(first)
      expect(slots.free()).toBe(0)
      slots.release(second)
      slots.release(second)
      expect(slots.free()).toBe(1)
    }))

  it.effect("a hold interrupted in the queue leaves it when it is released, and takes no permit", () =>
    Effect.gen(function* () {
      const slots = makeJobSlots(1)
      const holder = newSlotHold()
      const queued = newSlotHold()
      const last = newSlotHold()
      yield* slots.acquire(holder)
      const q = yield* Effect.fork(slots.acquire(queued))
      const l = yield* Effect.fork(slots.acquire(last))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(q)
      slots.release(queued)
      expect([queued.held, slots.waiting()]).toEqual([false, 1])
      // The permit goes past it to the next waiter.
      slots.release(holder)
      yield* Fiber.join(l)
      expect([queued.held, last.held, slots.free(), slots.waiting()]).toEqual([false, true, 0, 0])
      slots.release(last)
      expect(slots.free()).toBe(1)
    }))

  it.effect("a waiter interrupted after the permit was handed to it passes it on when released", () =>
    Effect.gen(function* () {
      const slots = makeJobSlots(1)
      const holder = newSlotHold()
      const handedOver = newSlotHold()
      const next = newSlotHold()
      yield* slots.acquire(holder)
      // As a job does: whatever ends the wait, the hold is released (the job's finalizer).
      const a = yield* Effect.fork(Effect.ensuring(slots.acquire(handedOver), Effect.sync(() => slots.release(handedOver))))
      const b = yield* Effect.fork(slots.acquire(next))
      yield* Effect.yieldNow()
      expect(slots.waiting()).toBe(2)
      // `a` is handed the permit (resumed, not run yet) and interrupted before it runs on with it.
      // Had it kept it, `b` would wait forever (the join below would not return).
      slots.release(holder)
      expect(handedOver.held).toBe(true)
      yield* Fiber.interrupt(a)
      yield* Fiber.join(b)
      expect([handedOver.held, next.held, slots.free(), slots.waiting()]).toEqual([false, true, 0, 0])
      slots.release(next)
      expect(slots.free()).toBe(1)
    }))
})
