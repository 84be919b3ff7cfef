// TailLogs (SPEC §5): replay output.jsonl from a seq, then follow the live log with no gap and no
// duplicate, ending right after the terminal record.
//
// A follower reads only the file: it watches the live log (live-feed.ts) BEFORE it reads the file to
// its end, and each record is in the file before watchers hear that the log grew, so a record written
// at any moment is either read by the read under way or announced for the next one — no gap. Each
// read starts where the last one stopped and records with seq ≤ the last seq delivered are dropped —
// no duplicate.
//
// Flow control (issue 14 item 5): the job's records are never held in memory for a reader. A reader
// pulls the next batch from the file once the last one reached its socket, so a slow or stalled
// reader costs its read buffers and one batch, however far behind it is, and the job's output path
// never waits for it.
import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { LogKind, LogRecord } from "../protocol/types"
import type { JobLog } from "./job-log"
import { LiveFeed } from "./live-feed"
import { isTerminalRecord, parseOutputHead, parseRecordLine } from "./log-records"
import { ReplayBuffers } from "./replay-buffers"

export class TailError extends Data.TaggedError("TailError")<{ readonly path: string; readonly message: string }> {}

export interface TailOptions {
  readonly path: string
  /**
   * The job's log when this supervisor runs (or ran) it: followed while it is open; while it has
   * no file (a lazy log, issue 13) its held records are the replay. Undefined for a job found only
   * in the store.
   */
  readonly live: JobLog | undefined
  /** A job found only in the store, with no log file: its records, made from its row (row-records.ts). */
  readonly rowRecords?: () => ReadonlyArray<LogRecord>
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
 * Reads whole lines from `fd` as records, up to the end each call is given. Output records the tail
 * would not emit (before since_seq, or of a kind not asked for) are not made at all.
 */
class RecordReader {
  private position = 0
  private readonly buffers = new ReplayBuffers(READ_BYTES)
  /** The start of a line cut by the last read (a view on the buffer it was read into). */
  private carry: Buffer = Buffer.alloc(0)

  constructor(
    private readonly fd: number,
    private readonly progress: ReplayProgress,
    private readonly wanted: (kind: LogKind, seq: number) => boolean
  ) {}

  /** The next batch of records before `end`, or undefined at the end; a torn last line is ignored. */
  next(end: number): Array<LogRecord> | undefined {
    while (this.position < end) {
      // A line longer than a buffer (up to the 64 KiB line cap, escaped) gets a bigger one.
      const buffer = this.buffers.next(this.carry, this.carry.length + READ_BYTES / 2)
      const room = Math.min(buffer.length - this.carry.length, end - this.position)
      const read = readSync(this.fd, buffer, this.carry.length, room, this.position)
      if (read === 0) break
      this.position += read
      const filled = this.carry.length + read
      // Cut at the last "\n" byte, which never falls inside a multi-byte character.
      const lastNewline = buffer.subarray(0, filled).lastIndexOf(0x0a)
      if (lastNewline === -1) {
        this.carry = buffer.subarray(0, filled)
        continue
      }
      const records = this.parse(buffer.subarray(0, lastNewline))
      this.carry = buffer.subarray(lastNewline + 1, filled)
      if (records.length > 0) return records
    }
    return undefined
  }

  /**
   * Whole lines (without the last "\n"). Few long lines (log format 2's output records): each
   * output record keeps its bytes, never decoded here. Many short ones (status records, a format-1
   * log): decoded and parsed at once, which is cheaper per line.
   */
  private parse(lines: Buffer): Array<LogRecord> {
    const records: Array<LogRecord> = []
    if (hasManyLines(lines)) {
      for (const line of lines.toString("utf8").split("\n")) this.take(records, parseRecordLine(line))
      return records
    }
    for (let start = 0; start <= lines.length; ) {
      let end = lines.indexOf(0x0a, start)
      if (end === -1) end = lines.length
      const line = lines.subarray(start, end)
      start = end + 1
      const head = parseOutputHead(line)
      if (head === undefined) this.take(records, parseRecordLine(line.toString("utf8")))
      else if (this.isNew(head.seq) && this.wanted(head.kind, head.seq)) {
        const record = this.buffers.record(head.seq, head.ts, head.kind, line)
        if (record !== undefined) records.push(record)
      }
    }
    return records
  }

  /** Already delivered (live, before this reader fell behind and came back to the file): false. */
  private isNew(seq: number): boolean {
    if (seq <= this.progress.lastSeq) return false
    this.progress.lastSeq = seq
    return true
  }

  private take(records: Array<LogRecord>, record: LogRecord | undefined): void {
    if (record === undefined || !this.isNew(record.seq)) return
    if (isTerminalRecord(record)) this.progress.sawTerminal = true
    if (record.kind === "status" || this.wanted(record.kind, record.seq)) records.push(record)
  }
}

/**
 * More than 1,024 lines: short ones on average (under 256 bytes in a 256 KiB read), which are cheaper
 * decoded all at once. Longer ones are not decoded at all (a read of 4 KiB records decoded into
 * strings was most of what a fast reader cost; issue 14 item 5).
 */
const hasManyLines = (lines: Buffer): boolean => {
  let at = -1
  for (let n = 0; n < 1024; n++) {
    at = lines.indexOf(0x0a, at + 1)
    if (at === -1) return false
  }
  return true
}

/**
 * The log's fd, or undefined when it has no file (a lazy log that wrote nothing, or not yet; or a
 * logs dir that is not a directory, where none could be created: ENOTDIR).
 */
const openIfExists = (path: string): number | undefined => {
  try {
    return openSync(path, "r")
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "ENOENT" || code === "ENOTDIR") return undefined
    throw e
  }
}

const readError = (path: string, e: unknown) =>
  new TailError({ path, message: `cannot read job log ${path}: ${(e as Error).message}` })

/**
 * The records of one tail, one chunk per pull: the file up to its end, then — following a live log —
 * what each write added, read from the file once the log has grown.
 */
const tailPuller = (
  options: TailOptions,
  initialLive: JobLog | undefined,
  progress: ReplayProgress,
  wanted: (kind: LogKind, seq: number) => boolean
) => {
  const { path } = options
  let live = initialLive
  // The file is opened when it exists: a lazy log (issue 13) has none until its first output.
  let fd: number | undefined
  let reader: RecordReader | undefined
  // Where reads stop: a live log's last whole record (a write in progress is never half read); a
  // finished log's size when the replay started; a log that closed while followed, its final size.
  let replayEnd: number | undefined
  const endOfReads = () => (live !== undefined ? live.bytes : (replayEnd ?? fstatSync(fd!).size))
  /** Records in memory stand in for a file that does not exist (yet): the log's held ones, or the row's. */
  const unwritten = (): ReadonlyArray<LogRecord> | undefined =>
    options.live !== undefined ? options.live.unwrittenRecords() : (options.rowRecords?.() ?? [])
  /** The next batch: from the file once it exists, else the records in memory; undefined at the end. */
  const readBack = (): Array<LogRecord> | undefined => {
    for (let attempt = 0; reader === undefined && attempt < 2; attempt++) {
      fd = openIfExists(path)
      if (fd !== undefined) {
        replayEnd = live === undefined ? fstatSync(fd).size : undefined
        reader = new RecordReader(fd, progress, wanted)
        break
      }
      const held = unwritten()
      // undefined: the log wrote its file after the open above failed — open it again.
      if (held === undefined) continue
      const fresh: Array<LogRecord> = []
      for (const record of held) {
        if (record.seq <= progress.lastSeq) continue
        progress.lastSeq = record.seq
        if (isTerminalRecord(record)) progress.sawTerminal = true
        if (record.kind === "status" || wanted(record.kind, record.seq)) fresh.push(record)
      }
      return fresh.length > 0 ? fresh : undefined
    }
    return reader?.next(endOfReads())
  }
  let feed: LiveFeed | undefined
  const end = Effect.fail(Option.none<TailError>())
  const emit = (records: Array<LogRecord>) => Effect.succeed(Chunk.unsafeFromArray(records))

  const pull: Effect.Effect<Chunk.Chunk<LogRecord>, Option.Option<TailError>> = Effect.suspend(() => {
    for (;;) {
      if (progress.sawTerminal) return end
      let records: Array<LogRecord> | undefined
      try {
        records = readBack()
      } catch (e) {
        return Effect.fail(Option.some(readError(path, e)))
      }
      if (records !== undefined) return emit(records)
      if (live === undefined) return end
      // At the end of the file: watch, then read to the (new) end once more before waiting.
      if (feed === undefined) {
        feed = new LiveFeed(live)
        continue
      }
      if (feed.takeGrown()) continue
      if (feed.closed) {
        // The log closed without a terminal record: whatever reached the file is the rest.
        feed.stop()
        feed = undefined
        live = undefined
        continue
      }
      return Effect.zipRight(feed.ready, pull)
    }
  })
  const stop = () => {
    feed?.stop()
    if (fd !== undefined) closeSync(fd)
    fd = undefined
  }
  return { pull, stop }
}

/**
 * Replays the log from `sinceSeq`, then — when following a live, non-terminal log — streams live
 * records, ending right after the terminal record (or when the live log closes without one).
 */
export const tailJobLog = (options: TailOptions): Stream.Stream<LogRecord, TailError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const live = options.follow && options.live !== undefined && !options.live.isTerminal ? options.live : undefined
      const progress: ReplayProgress = { lastSeq: -1, sawTerminal: false }
      const since = options.sinceSeq ?? 0
      const kinds = new Set<LogKind>(options.kinds ?? ["stdout", "stderr", "status"])
      const puller = tailPuller(options, live, progress, (kind, seq) => seq >= since && kinds.has(kind))
      yield* Effect.addFinalizer(() => Effect.sync(puller.stop))
      return Stream.repeatEffectChunkOption(puller.pull).pipe(
        Stream.takeUntil(isTerminalRecord), // before the kinds filter: the end is seen even when status is hidden
        Stream.filter((record) => record.seq >= since && kinds.has(record.kind))
      )
    })
  )
