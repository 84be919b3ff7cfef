// Splits a child's output pipe into batches of whole lines (SPEC §3 "Spawning", issue 13): "\n" and
// "\r\n" end a line, a line longer than 64 KiB is cut into pieces of at most 64 KiB (never inside a
// UTF-8 character), and output that does not end in a newline becomes a last line at the end.
//
// A batch is the bytes of one or more lines joined by "\n" (no final "\n", no "\r" before a "\n"):
// one log record per batch instead of one per line. The common chunk — no "\r", no line over the
// cap — is passed on as a slice of itself (after the end of a line begun in the previous chunk),
// without a copy or a scan per line; the rest takes the per-line path.
import type { OutputSource } from "./output-source"

export const MAX_LINE_BYTES = 65536

const LF = 0x0a
const CR = 0x0d

/**
 * Where several lines are joined into one batch: reused, as a batch is handed over synchronously and
 * finished with before the next (a chunk whose first line began in the previous chunk is the common
 * case — a fresh 64 KiB buffer per chunk was most of the supervisor's external memory churn).
 */
let joinScratch = Buffer.allocUnsafe(0)
const JOIN_SCRATCH_MAX = 1024 * 1024
const joinBuffer = (size: number): Buffer => {
  if (size <= joinScratch.length) return joinScratch
  if (size > JOIN_SCRATCH_MAX) return Buffer.allocUnsafe(size)
  joinScratch = Buffer.allocUnsafe(Math.max(size, 256 * 1024))
  return joinScratch
}

/** Where to cut `bytes` at most `max` bytes in: before a UTF-8 continuation byte is never a cut. */
const pieceEnd = (bytes: Buffer, max: number): number => {
  let end = max
  // A continuation byte is 10xxxxxx; a character has at most 3 of them.
  for (let back = 0; back < 3 && end > 1 && (bytes[end]! & 0xc0) === 0x80; back++) end--
  return (bytes[end]! & 0xc0) === 0x80 ? max : end
}

/**
 * Whether every line of `body` (which ends in "\n") is at most `cap` bytes: a few native searches
 * of up to `cap` bytes each, not one per line.
 */
const linesWithinCap = (body: Buffer, cap: number): boolean => {
  for (let start = 0; body.length - 1 - start > cap; ) {
    // The last newline at most `cap` bytes after `start` ends the lines before it, each within the cap.
    const nl = body.lastIndexOf(LF, start + cap)
    if (nl < start) return false
    start = nl + 1
  }
  return true
}

export class LineSplitter {
  /** The start of a line whose newline has not come yet. */
  private pending: Array<Buffer> = []
  private pendingBytes = 0

  constructor(
    private readonly emit: (lines: Buffer) => void,
    private readonly maxLineBytes: number = MAX_LINE_BYTES
  ) {}

  /**
   * The next bytes. With `headroom` (bytes in front of the chunk the caller lets us overwrite), a
   * line begun in the last chunk is put there, and the two are one batch without a copy of the chunk.
   */
  push(chunk: Buffer, headroom = 0): void {
    if (this.pendingBytes > 0 && this.pendingBytes <= headroom) chunk = this.prependPending(chunk)
    const lastLf = chunk.lastIndexOf(LF)
    if (lastLf !== -1) {
      const lines: Array<Buffer> = []
      // The chunk's bytes up to its first newline end the pending line: that line alone takes the slow path.
      const head = this.pendingBytes > 0 ? chunk.indexOf(LF) + 1 : 0
      if (head > 0) this.splitLines(lines, this.takePending(chunk.subarray(0, head)))
      const body = chunk.subarray(head, lastLf + 1)
      if (body.length > 0) {
        // No line over the cap and no "\r" to drop: its bytes are the lines as they are.
        if (body.indexOf(CR) === -1 && linesWithinCap(body, this.maxLineBytes)) lines.push(body.subarray(0, body.length - 1))
        else this.splitLines(lines, body)
      }
      this.emitJoined(lines)
    }
    if (lastLf + 1 < chunk.length) {
      // Copied: the chunk is a view on the read buffer that the next read reuses (output-source.ts).
      this.pending.push(Buffer.from(chunk.subarray(lastLf + 1)))
      this.pendingBytes += chunk.length - lastLf - 1
      this.cutOverlongPending()
    }
  }

  /** Emits what is left as a last line (output that did not end in a newline). */
  end(): void {
    if (this.pendingBytes === 0) return
    const lines: Array<Buffer> = []
    this.addLine(lines, this.takePending(Buffer.alloc(0)))
    this.emitJoined(lines)
  }

  /** The pending bytes copied in front of `chunk` (room the caller gave): one view on both. */
  private prependPending(chunk: Buffer): Buffer {
    const whole = Buffer.from(chunk.buffer, chunk.byteOffset - this.pendingBytes, this.pendingBytes + chunk.length)
    let at = 0
    for (const piece of this.pending) {
      whole.set(piece, at)
      at += piece.length
    }
    this.pending = []
    this.pendingBytes = 0
    return whole
  }

  private takePending(tail: Buffer): Buffer {
    if (this.pendingBytes === 0) return tail
    const all = Buffer.concat([...this.pending, tail])
    this.pending = []
    this.pendingBytes = 0
    return all
  }

  /** `text` ends in "\n": each line, without its "\r\n" or "\n", cut to the cap, goes to `lines`. */
  private splitLines(lines: Array<Buffer>, text: Buffer): void {
    for (let start = 0; start < text.length; ) {
      const nl = text.indexOf(LF, start)
      const end = nl > start && text[nl - 1] === CR ? nl - 1 : nl
      this.addLine(lines, text.subarray(start, end))
      start = nl + 1
    }
  }

  /** One line, as pieces of at most the cap. */
  private addLine(lines: Array<Buffer>, line: Buffer): void {
    let rest = line
    while (rest.length > this.maxLineBytes) {
      const end = pieceEnd(rest, this.maxLineBytes)
      lines.push(rest.subarray(0, end))
      rest = rest.subarray(end)
    }
    lines.push(rest)
  }

  private emitJoined(lines: ReadonlyArray<Buffer>): void {
    if (lines.length === 0) return
    if (lines.length === 1) return this.emit(lines[0]!)
    let size = lines.length - 1
    for (const line of lines) size += line.length
    const joined = joinBuffer(size)
    let at = 0
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) joined[at++] = LF
      joined.set(lines[i]!, at)
      at += lines[i]!.length
    }
    this.emit(joined.subarray(0, size))
  }

  /** Cuts full pieces off a line that has no newline yet, so memory stays bounded. */
  private cutOverlongPending(): void {
    if (this.pendingBytes <= this.maxLineBytes) return
    let all = this.takePending(Buffer.alloc(0))
    // Keep one trailing "\r" of a line that is exactly at the cap: a "\n" may follow in the next chunk.
    const limitFor = (b: Buffer) => (b.length === this.maxLineBytes + 1 && b[b.length - 1] === CR ? b.length : this.maxLineBytes)
    const pieces: Array<Buffer> = []
    while (all.length > limitFor(all)) {
      const end = pieceEnd(all, this.maxLineBytes)
      pieces.push(all.subarray(0, end))
      all = all.subarray(end)
    }
    this.emitJoined(pieces)
    if (all.length > 0) {
      this.pending = [Buffer.from(all)] // copy: do not pin the large buffer it came from
      this.pendingBytes = all.length
    }
  }
}

export interface LineReader {
  /** Resolves when the stream has ended, closed or failed (the last partial line has been emitted). */
  readonly done: Promise<void>
  /** Stops reading (destroys the stream) after emitting any partial line. */
  close(): void
}

/**
 * Starts reading `source` and calls `onLines` synchronously for every batch of lines, in order. A
 * batch may be a view on the source's reused read buffer: it is valid only during the call.
 */
export const readLines = (source: OutputSource, onLines: (lines: Buffer) => void): LineReader => {
  const splitter = new LineSplitter(onLines)
  let finished = false
  let resolveDone: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve
  })
  const finish = () => {
    if (finished) return
    finished = true
    splitter.end()
    resolveDone()
  }
  source.start((bytes, headroom) => {
    if (!finished) splitter.push(bytes, headroom)
  }, finish)
  return {
    done,
    close: () => {
      finish()
      source.destroy()
    }
  }
}
