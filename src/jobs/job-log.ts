// The per-job output.jsonl writer and its live feed (SPEC §5). Writes are synchronous, so a record
// is in the file before any subscriber hears of it; that ordering is what lets a tail replay the
// file and then switch to live records without a gap.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import type { LogRecord, StatusEvent } from "../protocol/types"
import { decideOutput, encodeRecord, isTerminalEvent, isTerminalRecord, parseRecordLine } from "./log-records"

export interface JobLogOptions {
  readonly samplingEveryNth?: number
  /** Output data budget in bytes; absent or 0 = unlimited. */
  readonly maxBytes?: number
}

type Listener = { readonly onRecord: (record: LogRecord) => void; readonly onClose: (() => void) | undefined }

/** The last well-formed record of a file, reading backwards in growing windows (logs can be large). */
const readLastRecord = (path: string, size: number): LogRecord | undefined => {
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

const endsWithNewline = (path: string, size: number): boolean => {
  if (size === 0) return true
  const fd = openSync(path, "r")
  try {
    const last = Buffer.alloc(1)
    readSync(fd, last, 0, 1, size - 1)
    return last[0] === 0x0a
  } finally {
    closeSync(fd)
  }
}

export class JobLog {
  private fd: number | undefined
  private nextSeq: number
  private outputBytes = 0
  private truncated = false
  private terminal: boolean
  private fileBytes: number
  private readonly listeners = new Set<Listener>()
  /** The last write error (disk full…); the record was dropped, the job goes on. */
  writeError: Error | undefined

  private constructor(
    readonly path: string,
    private readonly options: JobLogOptions,
    fd: number,
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
    const fd = openSync(path, "a", 0o600)
    try {
      let size = fstatSync(fd).size
      // A torn last line (a crash mid-write) would swallow our first record: fence it off.
      if (!endsWithNewline(path, size)) size += writeSync(fd, "\n")
      return new JobLog(path, options, fd, size, readLastRecord(path, size))
    } catch (e) {
      closeSync(fd)
      throw e
    }
  }

  /** Bytes in the file so far. */
  get bytes(): number {
    return this.fileBytes
  }

  get isTerminal(): boolean {
    return this.terminal
  }

  /** One line of job output. Sampling and the byte budget apply; nothing is written after the terminal record. */
  append(kind: "stdout" | "stderr", data: string): void {
    if (this.fd === undefined || this.terminal) return
    const dataBytes = Buffer.byteLength(data, "utf8")
    const state = { nextSeq: this.nextSeq, outputBytes: this.outputBytes, truncated: this.truncated }
    switch (decideOutput(state, this.options, dataBytes)) {
      case "drop":
        return
      case "sample-out":
        this.nextSeq++
        return
      case "truncate":
        this.truncated = true
        this.write({ seq: this.nextSeq++, ts: Date.now(), kind: "status", data: { event: "truncated", at_bytes: this.outputBytes } })
        return
      case "write":
        if (this.write({ seq: this.nextSeq++, ts: Date.now(), kind, data })) this.outputBytes += dataBytes
        return
    }
  }

  /**
   * A status record, always written — except after the terminal record, which stays the last line:
   * then (and after close) it returns undefined.
   */
  status(event: StatusEvent): LogRecord | undefined {
    if (this.fd === undefined || this.terminal) return undefined
    if (isTerminalEvent(event)) this.terminal = true
    const record: LogRecord = { seq: this.nextSeq++, ts: Date.now(), kind: "status", data: event }
    return this.write(record) ? record : undefined
  }

  /**
   * Live records, each after it is in the file. `onClose` fires when the log is closed (with or
   * without a terminal record). Listeners must only enqueue: they run on the job's output path.
   */
  subscribe(listener: (record: LogRecord) => void, onClose?: () => void): () => void {
    const entry: Listener = { onRecord: listener, onClose }
    if (this.fd === undefined) {
      onClose?.()
      return () => {}
    }
    this.listeners.add(entry)
    return () => void this.listeners.delete(entry)
  }

  close(): void {
    if (this.fd === undefined) return
    closeSync(this.fd)
    this.fd = undefined
    const listeners = [...this.listeners]
    this.listeners.clear()
    for (const l of listeners) guard(() => l.onClose?.())
  }

  private write(record: LogRecord): boolean {
    const line = encodeRecord(record)
    try {
      this.fileBytes += writeSync(this.fd!, line)
    } catch (e) {
      this.writeError = e as Error
      return false
    }
    for (const l of this.listeners) guard(() => l.onRecord(record))
    return true
  }
}

/** A failing subscriber must not break the job's log. */
const guard = (f: () => void): void => {
  try {
    f()
  } catch {
    // the subscriber's problem, not the job's
  }
}

/**
 * For reconcile: appends one terminal status record to a log (created if missing), continuing its
 * seq — unless the log already ends in a terminal record, so calling it twice adds one record.
 */
export const appendTerminalRecord = (path: string, event: StatusEvent): void => {
  const log = JobLog.open(path)
  try {
    log.status(event)
  } finally {
    log.close()
  }
}
