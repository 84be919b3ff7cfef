// A live reader's news of a job's log (issue 14 item 5): that it grew, or that it closed — never its
// records. The reader reads what is new from the log file itself, at its own pace (tail.ts), so the
// job's output path only sets a flag here, a stalled or slow reader holds nothing of the job's
// output in memory, and a fast one reads the new bytes from the page cache a moment after they
// were written.
import * as Effect from "effect/Effect"
import type { JobLog } from "./job-log"

export class LiveFeed {
  private grown = false
  private wake: (() => void) | undefined
  private readonly unwatch: () => void
  /** The log was closed: nothing more will be written to it. */
  closed = false

  constructor(log: JobLog) {
    this.unwatch = log.watch(
      () => {
        this.grown = true
        this.notify()
      },
      () => {
        this.closed = true
        this.notify()
      }
    )
  }

  /** Whether the log grew since the last call (a read of the file will find more). */
  takeGrown(): boolean {
    const grown = this.grown
    this.grown = false
    return grown
  }

  /** Completes once the log has grown or closed. */
  readonly ready: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.grown || this.closed) return resume(Effect.void)
    this.wake = () => resume(Effect.void)
    return Effect.sync(() => {
      this.wake = undefined
    })
  })

  stop(): void {
    this.unwatch()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
