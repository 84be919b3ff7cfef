// TailLogs (SPEC §5): replay output.jsonl from a seq, then follow the live feed with no gap and no
// duplicate, ending right after the terminal record.
//
// No gap: a reader subscribes to the live log BEFORE it reads the file to its end, and a record is in
// the file before subscribers hear of it, so every record is in the file, the live window, or both. No
// duplicate: records with seq ≤ the last seq delivered are dropped.
//
// Flow control (issue 14 item 5): the live window is bounded (live-feed.ts). A reader that falls
// behind loses its window and reads the file again from where it was, at its own pace, then
// subscribes afresh — so a slow or stalled reader holds at most one window and one chunk in memory,
// and the job's output path never waits for it.
import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { LogKind, LogRecord } from "../protocol/types"
import type { JobLog } from "./job-log"
import { LiveFeed } from "./live-feed"
import { isTerminalRecord, parseRecordLine } from "./log-records"

export class TailError extends Data.TaggedError("TailError")<{ readonly path: string; readonly message: string }> {}

export interface TailOptions {
  readonly path: string
  /** The job's open log when it is still being written; undefined for a finished or foreign job. */
  readonly live: JobLog | undefined
  /** First seq to emit (inclusive). */
  readonly sinceSeq?: number
  readonly kinds?: ReadonlyArray<LogKind>
  readonly follow: boolean
}

/** What the replay has seen: decides where live records take over and whether they are needed. */
interface ReplayProgress {
  lastSeq: number
  sawTerminal: boolean
}

const READ_BYTES = 256 * 1024

/**
 * Reads whole lines from `fd` as records: up to `fixedEnd` (the size when a replay started), or —
 * following — up to the file's size at each call.
 */
class RecordReader {
  private position = 0
  /** Reused for every read (no buffer per read for the garbage collector): the cut line, then new bytes. */
  private buffer = Buffer.allocUnsafe(READ_BYTES)
  private leftoverBytes = 0

  constructor(
    private readonly fd: number,
    private readonly progress: ReplayProgress,
    private readonly fixedEnd: number | undefined
  ) {}

  /** The next batch of records, or undefined at the end; a torn last line is ignored. */
  next(): Array<LogRecord> | undefined {
    const end = this.fixedEnd ?? fstatSync(this.fd).size
    while (this.position < end) {
      // A line longer than the buffer (up to the 64 KiB line cap, escaped) grows it.
      if (this.buffer.length - this.leftoverBytes < READ_BYTES / 2) {
        const bigger = Buffer.allocUnsafe(this.buffer.length * 2)
        this.buffer.copy(bigger, 0, 0, this.leftoverBytes)
        this.buffer = bigger
      }
      const room = Math.min(this.buffer.length - this.leftoverBytes, end - this.position)
      const read = readSync(this.fd, this.buffer, this.leftoverBytes, room, this.position)
      if (read === 0) break
      this.position += read
      // Cut at the last "\n" byte, which never falls inside a multi-byte character; decode whole lines only.
      const filled = this.leftoverBytes + read
      const lastNewline = this.buffer.subarray(0, filled).lastIndexOf(0x0a)
      if (lastNewline === -1) {
        this.leftoverBytes = filled
        continue
      }
      const lines = this.buffer.toString("utf8", 0, lastNewline)
      this.leftoverBytes = filled - lastNewline - 1
      this.buffer.copy(this.buffer, 0, lastNewline + 1, filled)
      const records = this.parse(lines)
      if (records.length > 0) return records
    }
    return undefined
  }

  private parse(lines: string): Array<LogRecord> {
    const records: Array<LogRecord> = []
    for (const line of lines.split("\n")) {
      const record = parseRecordLine(line)
      // Already delivered (live, before this reader fell behind and came back to the file): skip.
      if (!record || record.seq <= this.progress.lastSeq) continue
      this.progress.lastSeq = record.seq
      if (isTerminalRecord(record)) this.progress.sawTerminal = true
      records.push(record)
    }
    return records
  }
}

const openForReplay = (path: string): Effect.Effect<number | undefined, TailError> =>
  Effect.try({
    try: () => {
      try {
        return openSync(path, "r")
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
        throw e
      }
    },
    catch: (e) => new TailError({ path, message: `cannot read job log ${path}: ${(e as Error).message}` })
  })

const readError = (path: string, e: unknown) =>
  new TailError({ path, message: `cannot read job log ${path}: ${(e as Error).message}` })

/**
 * The records of one tail, one chunk per pull: the file up to its end, then — following a live log —
 * the live window; when the window overflowed, the file again from the last seq delivered.
 */
const tailPuller = (path: string, fd: number, initialLive: JobLog | undefined, progress: ReplayProgress) => {
  let live = initialLive
  const reader = new RecordReader(fd, progress, live === undefined ? fstatSync(fd).size : undefined)
  let feed: LiveFeed | undefined
  let fromFile = true
  const end = Effect.fail(Option.none<TailError>())
  const emit = (records: Array<LogRecord>) => Effect.succeed(Chunk.unsafeFromArray(records))

  const pull: Effect.Effect<Chunk.Chunk<LogRecord>, Option.Option<TailError>> = Effect.suspend(() => {
    for (;;) {
      if (progress.sawTerminal) return end
      if (fromFile) {
        let records: Array<LogRecord> | undefined
        try {
          records = reader.next()
        } catch (e) {
          return Effect.fail(Option.some(readError(path, e)))
        }
        if (records !== undefined) return emit(records)
        if (live === undefined) return end
        // At the end of the file: subscribe, then read to the (new) end once more before going live.
        if (feed === undefined) feed = new LiveFeed(live)
        else fromFile = false
        continue
      }
      const current = feed!
      if (current.overflowed) {
        // Fell behind: drop the window, read the file from the last seq delivered, subscribe again.
        feed = undefined
        fromFile = true
        continue
      }
      const records = current.take().filter((record) => record.seq > progress.lastSeq)
      for (const record of records) {
        progress.lastSeq = record.seq
        if (isTerminalRecord(record)) progress.sawTerminal = true
      }
      if (records.length > 0) return emit(records)
      if (current.closed) {
        // The log closed without a terminal record: whatever reached the file is the rest.
        current.stop()
        feed = undefined
        live = undefined
        fromFile = true
        continue
      }
      return Effect.zipRight(current.ready, pull)
    }
  })
  return { pull, stop: () => feed?.stop() }
}

/**
 * Replays the log from `sinceSeq`, then — when following a live, non-terminal log — streams live
 * records, ending right after the terminal record (or when the live log closes without one).
 */
export const tailJobLog = (options: TailOptions): Stream.Stream<LogRecord, TailError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const live = options.follow && options.live !== undefined && !options.live.isTerminal ? options.live : undefined
      const fd = yield* Effect.acquireRelease(openForReplay(options.path), (fd) =>
        Effect.sync(() => fd !== undefined && closeSync(fd))
      )
      if (fd === undefined) return Stream.empty
      const progress: ReplayProgress = { lastSeq: -1, sawTerminal: false }
      const puller = tailPuller(options.path, fd, live, progress)
      yield* Effect.addFinalizer(() => Effect.sync(puller.stop))
      const since = options.sinceSeq ?? 0
      const kinds = new Set<LogKind>(options.kinds ?? ["stdout", "stderr", "status"])
      return Stream.repeatEffectChunkOption(puller.pull).pipe(
        Stream.takeUntil(isTerminalRecord), // before the kinds filter: the end is seen even when status is hidden
        Stream.filter((record) => record.seq >= since && kinds.has(record.kind))
      )
    })
  )
