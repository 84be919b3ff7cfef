// TailLogs (SPEC §5): replay output.jsonl from a seq, then follow the live feed with no gap and no
// duplicate, ending right after the terminal record.
//
// No gap: we subscribe to the live log BEFORE reading the file, and a record is in the file before
// subscribers hear of it, so every record is in the file, the buffer, or both. No duplicate: live
// records with seq ≤ the last seq replayed are dropped.
import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { LogKind, LogRecord } from "../protocol/types"
import type { JobLog } from "./job-log"
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

/** Reads whole lines from `fd` up to `end` (the size when the tail started), as records. */
class RecordReader {
  private position = 0
  private leftover: Buffer = Buffer.alloc(0)

  constructor(
    private readonly fd: number,
    private readonly end: number,
    private readonly progress: ReplayProgress
  ) {}

  /** The next batch of records, or undefined at the end; a torn last line is ignored. */
  next(): Array<LogRecord> | undefined {
    while (this.position < this.end) {
      const buffer = Buffer.alloc(Math.min(READ_BYTES, this.end - this.position))
      const read = readSync(this.fd, buffer, 0, buffer.length, this.position)
      if (read === 0) break
      this.position += read
      // Cut at the last "\n" byte, which never falls inside a multi-byte character; decode whole lines only.
      const bytes = this.leftover.length > 0 ? Buffer.concat([this.leftover, buffer.subarray(0, read)]) : buffer.subarray(0, read)
      const lastNewline = bytes.lastIndexOf(0x0a)
      if (lastNewline === -1) {
        this.leftover = bytes
        continue
      }
      this.leftover = Buffer.from(bytes.subarray(lastNewline + 1))
      const records = this.parse(bytes.subarray(0, lastNewline).toString("utf8"))
      if (records.length > 0) return records
    }
    return undefined
  }

  private parse(lines: string): Array<LogRecord> {
    const records: Array<LogRecord> = []
    for (const line of lines.split("\n")) {
      const record = parseRecordLine(line)
      if (!record) continue
      if (record.seq > this.progress.lastSeq) this.progress.lastSeq = record.seq
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

const replayFile = (path: string, progress: ReplayProgress): Stream.Stream<LogRecord, TailError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const fd = yield* Effect.acquireRelease(openForReplay(path), (fd) =>
        Effect.sync(() => fd !== undefined && closeSync(fd))
      )
      if (fd === undefined) return Stream.empty
      const reader = new RecordReader(fd, fstatSync(fd).size, progress)
      return Stream.repeatEffectChunkOption(
        Effect.try({
          try: () => reader.next(),
          catch: (e) => Option.some(new TailError({ path, message: `cannot read job log ${path}: ${(e as Error).message}` }))
        }).pipe(
          Effect.flatMap((records) =>
            records === undefined ? Effect.fail(Option.none()) : Effect.succeed(Chunk.unsafeFromArray(records))
          )
        )
      )
    })
  )

/**
 * Replays the log from `sinceSeq`, then — when following a live, non-terminal log — streams live
 * records, ending right after the terminal record (or when the live log closes without one).
 */
export const tailJobLog = (options: TailOptions): Stream.Stream<LogRecord, TailError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const live = options.follow && options.live !== undefined && !options.live.isTerminal ? options.live : undefined
      let buffered: Mailbox.Mailbox<LogRecord> | undefined
      if (live !== undefined) {
        const mailbox = yield* Mailbox.make<LogRecord>()
        const unsubscribe = live.subscribe(
          (record) => void mailbox.unsafeOffer(record),
          () => void mailbox.unsafeDone(Exit.void)
        )
        yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))
        buffered = mailbox
      }
      const progress: ReplayProgress = { lastSeq: -1, sawTerminal: false }
      const liveRecords = Stream.suspend(() =>
        buffered === undefined || progress.sawTerminal
          ? Stream.empty
          : Mailbox.toStream(buffered).pipe(Stream.filter((record) => record.seq > progress.lastSeq))
      )
      const since = options.sinceSeq ?? 0
      const kinds = new Set<LogKind>(options.kinds ?? ["stdout", "stderr", "status"])
      return replayFile(options.path, progress).pipe(
        Stream.concat(liveRecords),
        Stream.takeUntil(isTerminalRecord), // before the kinds filter: the end is seen even when status is hidden
        Stream.filter((record) => record.seq >= since && kinds.has(record.kind))
      )
    })
  )
