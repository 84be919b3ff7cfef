// One live reader's bounded window onto a job's log (issue 14 item 5). The job's output path only
// appends to a small array here; when the reader falls more than `limitBytes` behind, the window is
// dropped and unsubscribed, and the reader goes back to the log file from its last delivered seq
// (tail.ts) — so a stalled or slow reader costs the supervisor at most this window, never the job.
import * as Effect from "effect/Effect"
import { recordSizeOf } from "../protocol/encoded-record"
import type { LogRecord } from "../protocol/types"
import type { JobLog } from "./job-log"

/** Per reader: about 1 MiB of records held in memory before it reads from the file instead. */
export const LIVE_WINDOW_BYTES = 1024 * 1024


export class LiveFeed {
  private records: Array<LogRecord> = []
  private bytes = 0
  private wake: (() => void) | undefined
  private readonly unsubscribe: () => void
  /** The reader fell behind: records were dropped and the feed no longer listens. */
  overflowed = false
  /** The log was closed: no record will follow. */
  closed = false

  constructor(
    log: JobLog,
    private readonly limitBytes: number = LIVE_WINDOW_BYTES
  ) {
    this.unsubscribe = log.subscribe(
      (record) => this.onRecord(record),
      () => {
        this.closed = true
        this.notify()
      }
    )
  }

  /** Everything buffered since the last take, in seq order. */
  take(): Array<LogRecord> {
    const records = this.records
    this.records = []
    this.bytes = 0
    return records
  }

  /** Completes once there is something to take, or the feed overflowed or closed. */
  readonly ready: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.records.length > 0 || this.overflowed || this.closed) return resume(Effect.void)
    this.wake = () => resume(Effect.void)
    return Effect.sync(() => {
      this.wake = undefined
    })
  })

  stop(): void {
    this.unsubscribe()
    this.records = []
  }

  private onRecord(record: LogRecord): void {
    if (this.overflowed) return
    this.bytes += recordSizeOf(record)
    if (this.bytes > this.limitBytes) {
      this.overflowed = true
      this.stop()
    } else {
      this.records.push(record)
    }
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
