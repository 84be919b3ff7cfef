// The per-job output.jsonl writer (SPEC §5). Writes are synchronous, so a record is in the file
// before any watcher hears that the log grew; that ordering is what lets a tail read the file to its
// end, wait for the next write, and read on from where it was without a gap. Watchers get no
// records, only the news that there are more (issue 14 item 5): every reader reads the file at its
// own pace, so nothing of the job's output is held in memory for a reader.
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import type { LogRecord, StatusEvent } from "../protocol/types"
import { decideOutput, encodeRecord, fittingPrefix, isTerminalEvent, isTerminalRecord, parseRecordLine } from "./log-records"
import { encodeOutputLine } from "./record-bytes"

export interface JobLogOptions {
  readonly samplingEveryNth?: number
  /** Output data budget in bytes; absent or 0 = unlimited. */
  readonly maxBytes?: number
}

type Watcher = { readonly onGrow: () => void; readonly onClose: (() => void) | undefined }

/** The last well-formed record of a file, reading backwards in growing windows (logs can be large). */
export const readLastRecord = (path: string, size: number): LogRecord | undefined => {
  if (size === 0) return undefined
  const fd = openSync(path, "r")
  try {
    for (let window = 64 * 1024; ; window *= 4) {
      const start = Math.max(0, size - window)
      const buffer = Buffer.alloc(size - start)
      const read = readSync(fd, buffer, 0, buffer.length, start)
      const lines = buffer.subarray(0, read).toString("utf8").split("\n")
      // Without the start of the file in the window, the first line may be cut: do not trust it.
      const firstTrusted = start === 0 ? 0 : 1
      for (let i = lines.length - 1; i >= firstTrusted; i--) {
        const record = parseRecordLine(lines[i]!)
        if (record) return record
      }
      if (start === 0) return undefined
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Where the last whole record of a file ends: after its last newline (0 when it has none). A file
 * that ends in a torn line (a crash or a full disk mid-write) is cut back to there before anything
 * is appended, so a torn line is never followed by more records.
 */
const endOfLastWholeLine = (fd: number, size: number): number => {
  const window = Buffer.alloc(64 * 1024)
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - window.length)
    const read = readSync(fd, window, 0, end - start, start)
    const nl = window.subarray(0, read).lastIndexOf(0x0a)
    if (nl !== -1) return start + nl + 1
    end = start
  }
  return 0
}

/** Why a log write failed, in the words of the job's reason: "no space left on device". */
export const describeWriteError = (error: Error): string => {
  const code = (error as NodeJS.ErrnoException).code
  const known: Record<string, string> = {
    ENOSPC: "no space left on device",
    EDQUOT: "disk quota exceeded",
    EFBIG: "file too large",
    EIO: "input/output error",
    EROFS: "read-only file system"
  }
  return (code !== undefined ? known[code] : undefined) ?? error.message
}

/** Records a row can stand for (domain/row-records.ts): a lazy log holds these in memory. */
const HOLDABLE_EVENTS: ReadonlySet<StatusEvent["event"]> = new Set(["started", "finished", "signaled", "cancelled", "timed_out", "skipped", "crashed"])

export class JobLog {
  private fd: number | undefined
  private closed = false
  /**
   * A lazy log (JobLog.lazy) before its file exists: its records, in memory. The file is created at
   * the first output, or at a record a row cannot stand for (attempt_failed), or — at the job's end
   * — when these records are not exactly what readers make of the final row (keepUnless).
   */
  private held: LogRecord[] | undefined
  private nextSeq: number
  private outputBytes = 0
  private truncated = false
  private terminal: boolean
  private fileBytes: number
  /** The file holds part of a record past `fileBytes` (a failed write whose cut-back failed too). */
  private tornTail = false
  private readonly watchers = new Set<Watcher>()
  private readonly failureListeners = new Set<(error: Error) => void>()
  /**
   * The first write error (disk full, I/O error). From then on output is dropped (the job is ended
   * by whoever listens through onWriteFailed); status records are still attempted.
   */
  writeError: Error | undefined

  private constructor(
    readonly path: string,
    private readonly options: JobLogOptions,
    fd: number | undefined,
    size: number,
    last: LogRecord | undefined
  ) {
    this.fd = fd
    this.fileBytes = size
    this.nextSeq = last ? last.seq + 1 : 0
    this.terminal = last !== undefined && isTerminalRecord(last)
  }

  /** Opens (creating 0700 directories and a 0600 file) for appending; an existing log continues its seq. */
  static open(path: string, options: JobLogOptions = {}): JobLog {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    const fd = openSync(path, "a+", 0o600)
    try {
      let size = fstatSync(fd).size
      // A torn last line would swallow our first record: cut it off (that needs no disk space).
      const whole = endOfLastWholeLine(fd, size)
      if (whole !== size) {
        ftruncateSync(fd, whole)
        size = whole
      }
      return new JobLog(path, options, fd, size, readLastRecord(path, size))
    } catch (e) {
      closeSync(fd)
      throw e
    }
  }

  /**
   * A log whose directory and file are created only when needed (issue 13: a job that writes
   * nothing costs no inode): until then its records are held in memory (watchers still hear of
   * each), and readers that find no file take `unwrittenRecords()` (or those of the job's row).
   */
  static lazy(path: string, options: JobLogOptions = {}): JobLog {
    const log = new JobLog(path, options, undefined, 0, undefined)
    log.held = []
    return log
  }

  /** The records of a lazy log that has no file yet (also after close); undefined once they are in the file. */
  unwrittenRecords(): ReadonlyArray<LogRecord> | undefined {
    return this.held
  }

  /**
   * At the job's end, before close: a lazy log without a file keeps it that way only when its
   * records are exactly `fromRow` — what readers will make of the job's final row. Otherwise the
   * records are written now. False when that write failed (the records stay in memory).
   */
  keepUnless(fromRow: ReadonlyArray<LogRecord>): boolean {
    if (this.held === undefined || this.closed) return true
    return sameRecordLines(this.held, fromRow) || this.materialize()
  }

  /** Creates the file of a lazy log and writes the held records to it, in one write. */
  private materialize(): boolean {
    const held = this.held
    if (held === undefined) return true
    let fd: number | undefined
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 })
      fd = openSync(this.path, "a+", 0o600)
      const head = Buffer.from(held.map(encodeRecord).join(""), "utf8")
      for (let written = 0; written < head.length; ) written += writeSync(fd, head, written, head.length - written)
      this.fd = fd
      this.fileBytes = fstatSync(fd).size
    } catch (e) {
      if (fd !== undefined) guard(() => closeSync(fd!))
      this.failed(e as Error)
      return false
    }
    this.held = undefined
    return true
  }

  /** Bytes in the file so far: the end of its last whole record (a reader of a live log reads up to here). */
  get bytes(): number {
    return this.fileBytes
  }

  get isTerminal(): boolean {
    return this.terminal
  }

  /** Job output as text: one line, or several joined by "\n" (see appendLines). */
  append(kind: "stdout" | "stderr", data: string): void {
    this.appendLines(kind, Buffer.from(data, "utf8"))
  }

  /**
   * A batch of job output: the bytes of one or more lines joined by "\n" (lines.ts), written as ONE
   * record (log format 2) — a record per line made throughput a matter of lines, not bytes. The byte
   * budget cuts a batch between lines; with sampling every line stays a record of its own (sampling
   * keeps records whose seq is a multiple of n, so it must see lines). Nothing is written after the
   * terminal record. `lines` is not kept: the caller may reuse its buffer once this returns.
   */
  appendLines(kind: "stdout" | "stderr", lines: Buffer): void {
    if (this.closed || this.terminal || this.writeError !== undefined) return
    if (this.held !== undefined && !this.materialize()) return
    if ((this.options.samplingEveryNth ?? 1) > 1) {
      for (let start = 0; ; ) {
        const nl = lines.indexOf(0x0a, start)
        this.appendSampledLine(kind, lines.subarray(start, nl === -1 ? lines.length : nl))
        if (nl === -1) return
        start = nl + 1
      }
    }
    if (this.truncated) return
    const fits = fittingPrefix(this.outputBytes, this.options.maxBytes ?? 0, lines)
    if (fits >= 0 && !this.writeOutput(kind, fits === lines.length ? lines : lines.subarray(0, fits))) return
    if (fits < lines.length) this.truncate()
  }

  /** One line under sampling: a record of its own, or a seq used without a record. */
  private appendSampledLine(kind: "stdout" | "stderr", line: Buffer): void {
    const state = { nextSeq: this.nextSeq, outputBytes: this.outputBytes, truncated: this.truncated }
    switch (decideOutput(state, this.options, line.length)) {
      case "drop":
        return
      case "sample-out":
        this.nextSeq++
        return
      case "truncate":
        return this.truncate()
      case "write":
        this.writeOutput(kind, line)
        return
    }
  }

  private truncate(): void {
    this.truncated = true
    this.write({ seq: this.nextSeq, ts: Date.now(), kind: "status", data: { event: "truncated", at_bytes: this.outputBytes } })
  }

  /** Writes an output record from its bytes: no record object, no string. */
  private writeOutput(kind: "stdout" | "stderr", lines: Buffer): boolean {
    if (!this.writeLine(encodeOutputLine(this.nextSeq, Date.now(), kind, lines))) return false
    this.outputBytes += lines.length
    this.grew()
    return true
  }

  /**
   * A status record, always attempted — except after the terminal record, which stays the last
   * line: then (and after close) it returns undefined. It also returns undefined when the write
   * failed; a terminal record that failed can be written again later.
   */
  status(event: StatusEvent, ts: number = Date.now()): LogRecord | undefined {
    if (this.closed || this.terminal) return undefined
    const record: LogRecord = { seq: this.nextSeq, ts, kind: "status", data: event }
    // A record no row can stand for needs the file; if it cannot be made, the record is still held.
    if (this.held !== undefined && (HOLDABLE_EVENTS.has(event.event) || !this.materialize())) {
      this.held.push(record)
      this.nextSeq++
      this.grew()
    } else if (!this.write(record)) return undefined
    if (isTerminalEvent(event)) this.terminal = true
    return record
  }

  /**
   * `onGrow` after each record is in the file (read it from there: `bytes` is its end); `onClose`
   * when the log is closed (with or without a terminal record). Watchers must only take note: they
   * run on the job's output path.
   */
  watch(onGrow: () => void, onClose?: () => void): () => void {
    const entry: Watcher = { onGrow, onClose }
    if (this.closed) {
      onClose?.()
      return () => {}
    }
    this.watchers.add(entry)
    return () => void this.watchers.delete(entry)
  }

  /** Called once, with the first write error; at once if there already was one. */
  onWriteFailed(listener: (error: Error) => void): void {
    if (this.writeError !== undefined) listener(this.writeError)
    else this.failureListeners.add(listener)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    const watchers = [...this.watchers]
    this.watchers.clear()
    for (const w of watchers) guard(() => w.onClose?.())
  }

  private write(record: LogRecord): boolean {
    if (!this.writeLine(Buffer.from(encodeRecord(record), "utf8"))) return false
    this.grew()
    return true
  }

  private grew(): void {
    for (const w of this.watchers) guard(w.onGrow)
  }

  /**
   * Writes one whole line (the record's seq is the next one) or nothing: a short write is
   * continued, and a failed one is cut back to the last whole record, so a reader never sees a
   * torn line followed by more records.
   */
  private writeLine(line: Buffer): boolean {
    const fd = this.fd!
    let written = 0
    try {
      // A part of an earlier record that could not be cut off must go before anything is appended.
      if (this.tornTail) ftruncateSync(fd, this.fileBytes)
      this.tornTail = false
      while (written < line.length) written += writeSync(fd, line, written, line.length - written)
    } catch (e) {
      if (written > 0) this.cutBackTo(this.fileBytes)
      this.failed(e as Error)
      return false
    }
    this.fileBytes += written
    this.nextSeq++
    return true
  }

  /** Shrinking needs no space; should it fail anyway, the next write (or open) tries again first. */
  private cutBackTo(size: number): void {
    try {
      ftruncateSync(this.fd!, size)
    } catch {
      this.tornTail = true
    }
  }

  private failed(error: Error): void {
    if (this.writeError !== undefined) return
    this.writeError = error
    const listeners = [...this.failureListeners]
    this.failureListeners.clear()
    for (const l of listeners) guard(() => l(error))
  }
}

/** Same lines in a file: the held records against those made from a row (domain/row-records.ts). */
const sameRecordLines = (a: ReadonlyArray<LogRecord>, b: ReadonlyArray<LogRecord>): boolean =>
  a.length === b.length && a.every((record, i) => encodeRecord(record) === encodeRecord(b[i]!))

/** A failing watcher must not break the job's log. */
const guard = (f: () => void): void => {
  try {
    f()
  } catch {
    // the watcher's problem, not the job's
  }
}

/**
 * For reconcile: appends one terminal status record to a log (created if missing), continuing its
 * seq — unless the log already ends in a terminal record, so calling it twice adds one record.
 */
export const appendTerminalRecord = (path: string, event: StatusEvent, ts: number = Date.now()): void => {
  const log = JobLog.open(path)
  try {
    log.status(event, ts)
  } finally {
    log.close()
  }
}
