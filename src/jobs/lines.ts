// Splits a child's output pipe into batches of whole lines (SPEC §3 "Spawning", issue 13): "\n" and
// "\r\n" end a line, a line longer than 64 KiB is cut into pieces of at most 64 KiB (never inside a
// UTF-8 character), and output that does not end in a newline becomes a last line at the end.
//
// A batch is the bytes of one or more lines joined by "\n" (no final "\n", no "\r" before a "\n"):
// one log record per batch instead of one per line. The common chunk — nothing pending, no "\r", at
// most the cap up to its last newline — is passed on as a slice of itself, without a copy or a scan
// per line; the rest takes the per-line path.
import type { Readable } from "node:stream"

export const MAX_LINE_BYTES = 65536

const LF = 0x0a
const CR = 0x0d
const NEWLINE = Buffer.from([LF])

/** Where to cut `bytes` at most `max` bytes in: before a UTF-8 continuation byte is never a cut. */
const pieceEnd = (bytes: Buffer, max: number): number => {
  let end = max
  // A continuation byte is 10xxxxxx; a character has at most 3 of them.
  for (let back = 0; back < 3 && end > 1 && (bytes[end]! & 0xc0) === 0x80; back++) end--
  return (bytes[end]! & 0xc0) === 0x80 ? max : end
}

export class LineSplitter {
  /** The start of a line whose newline has not come yet. */
  private pending: Array<Buffer> = []
  private pendingBytes = 0

  constructor(
    private readonly emit: (lines: Buffer) => void,
    private readonly maxLineBytes: number = MAX_LINE_BYTES
  ) {}

  push(chunk: Buffer): void {
    const lastLf = chunk.lastIndexOf(LF)
    if (lastLf !== -1) {
      const lines: Array<Buffer> = []
      // The chunk's bytes up to its first newline end the pending line: that line alone takes the slow path.
      const head = this.pendingBytes > 0 ? chunk.indexOf(LF) + 1 : 0
      if (head > 0) this.splitLines(lines, this.takePending(chunk.subarray(0, head)))
      const body = chunk.subarray(head, lastLf + 1)
      if (body.length > 0) {
        // No line of `body` can be longer than body minus its newline: at most the cap, and no "\r"
        // to drop, means its bytes are the lines as they are.
        if (body.length - 1 <= this.maxLineBytes && body.indexOf(CR) === -1) lines.push(body.subarray(0, body.length - 1))
        else this.splitLines(lines, body)
      }
      this.emitJoined(lines)
    }
    if (lastLf + 1 < chunk.length) {
      // Copied: a slice would keep the whole chunk it came from alive until the line ends.
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
    const parts: Array<Buffer> = []
    for (const [i, line] of lines.entries()) {
      if (i > 0) parts.push(NEWLINE)
      parts.push(line)
    }
    this.emit(Buffer.concat(parts))
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
 * Starts reading `readable` and calls `onLines` synchronously for every batch of lines, in order.
 * A batch is a slice of the stream's chunk or a buffer of its own, never reused afterwards: a live
 * reader of the job's log may keep it.
 */
export const readLines = (readable: Readable, onLines: (lines: Buffer) => void): LineReader => {
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
  readable.on("data", (chunk: Buffer | string) => {
    if (!finished) splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
  })
  readable.once("end", finish)
  readable.once("close", finish)
  readable.once("error", finish)
  // A stream that has already ended (a spawner connection whose header read consumed its last
  // bytes emits "end" before it is handed over) would never tell these listeners.
  if (readable.readableEnded || readable.destroyed) finish()
  return {
    done,
    close: () => {
      finish()
      readable.destroy()
    }
  }
}
