// A bound on running jobs: a FIFO semaphore that hands a released
// permit to exactly one waiter. Effect's Semaphore wakes every waiter on each release, and each
// re-queues itself; with hundreds of queued jobs that is O(n²) work and garbage (measured: ~1 GiB
// RSS for one 1,000-job invocation), and the re-queueing loses arrival order.
import { Effect } from "effect"

/**
 * One holder's claim on a slot: `held` from the moment the permit is handed to it until `release`.
 * A job keeps one for its life, so the slot is given back by the job's own finalizer (which runs
 * however the job ends) instead of a wrapper of its own around each attempt (issue 13). Made by
 * newSlotHold.
 */
export interface SlotHold {
  held: boolean
  /** While it waits in the queue: how its waiter is resumed. */
  resume: ((effect: Effect.Effect<void>) => void) | undefined
}

export const newSlotHold = (): SlotHold => ({ held: false, resume: undefined })

export interface JobSlots {
  /** Runs `effect` holding one slot; waiting for the slot can be interrupted (a queued job's cancel). */
  readonly withSlot: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Waits for a slot for `hold` (a hold that holds one already has it). Interruptible, and without a
   * canceler of its own (Effect wraps every async with one in an onExit mask; issue 13): whoever
   * acquires calls `release(hold)` however it ends — interrupted in the queue, the hold stays
   * queued until then (it is not handed a permit it could not use: that permit is passed on).
   */
  readonly acquire: (hold: SlotHold) => Effect.Effect<void>
  /** Takes `hold` out of the queue, or gives its slot to the oldest waiter; nothing if it has neither. */
  readonly release: (hold: SlotHold) => void
  readonly free: () => number
  readonly waiting: () => number
  readonly permits: number
}

/**
 * Foreground (waited) and background jobs have separate pools (HOOKD_MAX_FOREGROUND,
 * HOOKD_MAX_PARALLEL): a `git commit` waiting for a 20 ms lint never queues behind installs.
 */
export interface JobPools {
  readonly foreground: JobSlots
  readonly background: JobSlots
}

export const makeJobPools = (limits: { readonly foreground: number; readonly background: number }): JobPools => ({
  foreground: makeJobSlots(limits.foreground),
  background: makeJobSlots(limits.background)
})

export const poolOf = (pools: JobPools, background: boolean): JobSlots => (background ? pools.background : pools.foreground)

export const makeJobSlots = (permits: number): JobSlots => {
  let free = permits
  const waiters: SlotHold[] = []

  const release = (hold: SlotHold): void => {
    if (hold.resume !== undefined) {
      // Interrupted while it waited: it leaves the queue.
      hold.resume = undefined
      waiters.splice(waiters.indexOf(hold), 1)
      return
    }
    if (!hold.held) return
    hold.held = false
    const next = waiters.shift()
    if (next === undefined) {
      free++
      return
    }
    // The permit passes straight to the oldest waiter; `free` never goes up in between. A waiter
    // interrupted just before gives it on when its holder releases it (a resume then is a no-op).
    next.held = true
    const resume = next.resume!
    next.resume = undefined
    resume(Effect.void)
  }

  const acquire = (hold: SlotHold): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      if (!hold.held && free > 0) {
        free--
        hold.held = true
      }
      if (hold.held) return resume(Effect.void)
      hold.resume = resume
      waiters.push(hold)
    })

  return {
    withSlot: (effect) =>
      Effect.suspend(() => {
        const hold = newSlotHold()
        return Effect.ensuring(Effect.zipRight(acquire(hold), effect), Effect.sync(() => release(hold)))
      }),
    acquire,
    release,
    free: () => free,
    waiting: () => waiters.length,
    permits
  }
}
