// A bound on running jobs: a FIFO semaphore that hands a released
// permit to exactly one waiter. Effect's Semaphore wakes every waiter on each release, and each
// re-queues itself; with hundreds of queued jobs that is O(n²) work and garbage (measured: ~1 GiB
// RSS for one 1,000-job invocation), and the re-queueing loses arrival order.
import { Effect } from "effect"

interface Waiter {
  granted: boolean
  readonly resume: (effect: Effect.Effect<void>) => void
}

export interface JobSlots {
  /** Runs `effect` holding one slot; waiting for the slot can be interrupted (a queued job's cancel). */
  readonly withSlot: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
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
  const waiters: Waiter[] = []

  const release = (): void => {
    const next = waiters.shift()
    if (next === undefined) {
      free++
      return
    }
    // The permit passes straight to the oldest waiter; `free` never goes up in between.
    next.granted = true
    next.resume(Effect.void)
  }

  const acquire = Effect.async<void>((resume) => {
    if (free > 0) {
      free--
      resume(Effect.void)
      return
    }
    const waiter: Waiter = { granted: false, resume }
    waiters.push(waiter)
    // Interrupted while waiting: leave the queue, or, if the permit was already handed over, pass it on.
    return Effect.sync(() => {
      if (waiter.granted) release()
      else waiters.splice(waiters.indexOf(waiter), 1)
    })
  })

  return {
    withSlot: (effect) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(restore(acquire), restore(effect).pipe(Effect.ensuring(Effect.sync(release))))
      ),
    free: () => free,
    waiting: () => waiters.length,
    permits
  }
}
