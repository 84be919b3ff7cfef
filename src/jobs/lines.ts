// Splits a child's output pipe into lines (SPEC §3 "Spawning"): "\n" and "\r\n" end a line, UTF-8 is
// decoded across chunk boundaries, and a line longer than 64 KiB is cut into 64 KiB pieces.
import type { Readable } from "node:stream"
import { StringDecoder } from "node:string_decoder"

export const MAX_LINE_BYTES = 65536

const LF = 0x0a
const CR = 0x0d

/**
 * Push bytes in, get lines out through `emit`. Works on bytes (a "\n" byte never occurs inside a
 * multi-byte UTF-8 sequence), so the 64 KiB cap is in bytes; a cut inside a character leaves its
 * first bytes in the decoder, and the character starts the next piece intact.
 */
export class LineSplitter {
  private pending: Array<Buffer> = []
  private pendingBytes = 0
  private readonly decoder = new StringDecoder("utf8")

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineBytes: number = MAX_LINE_BYTES
  ) {}

  push(chunk: Buffer): void {
    let start = 0
    for (let nl = chunk.indexOf(LF); nl !== -1; nl = chunk.indexOf(LF, start)) {
      this.emitLine(this.takePending(chunk.subarray(start, nl)))
      start = nl + 1
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start))
      this.pendingBytes += chunk.length - start
      this.cutOverlongPending()
    }
  }

  /** Emits what is left as a last line (output that did not end in a newline). */
  end(): void {
    if (this.pendingBytes > 0) {
      let rest = this.takePending(Buffer.alloc(0))
      while (rest.length > this.maxLineBytes) {
        this.emitPiece(rest.subarray(0, this.maxLineBytes))
        rest = rest.subarray(this.maxLineBytes)
      }
      this.emit(this.decoder.write(rest) + this.decoder.end())
    }
  }

  private takePending(tail: Buffer): Buffer {
    if (this.pendingBytes === 0) return tail
    const all = Buffer.concat([...this.pending, tail])
    this.pending = []
    this.pendingBytes = 0
    return all
  }

  private emitPiece(bytes: Buffer): void {
    const text = this.decoder.write(bytes)
    if (text.length > 0) this.emit(text)
  }

  private emitLine(withoutLf: Buffer): void {
    let line = withoutLf.length > 0 && withoutLf[withoutLf.length - 1] === CR ? withoutLf.subarray(0, -1) : withoutLf
    while (line.length > this.maxLineBytes) {
      this.emitPiece(line.subarray(0, this.maxLineBytes))
      line = line.subarray(this.maxLineBytes)
    }
    // end() flushes (and resets) the decoder, so bad bytes never leak into the next line.
    this.emit(this.decoder.write(line) + this.decoder.end())
  }

  /** Cuts full pieces off a line that has no newline yet, so memory stays bounded. */
  private cutOverlongPending(): void {
    if (this.pendingBytes <= this.maxLineBytes) return
    let all = this.takePending(Buffer.alloc(0))
    // Keep one trailing "\r" of a line that is exactly at the cap: a "\n" may follow in the next chunk.
    const limitFor = (b: Buffer) => (b.length === this.maxLineBytes + 1 && b[b.length - 1] === CR ? b.length : this.maxLineBytes)
    while (all.length > limitFor(all)) {
      this.emitPiece(all.subarray(0, this.maxLineBytes))
      all = all.subarray(this.maxLineBytes)
    }
    if (all.length > 0) {
      this.pending = [Buffer.from(all)] // copy: do not pin the large chunk it came from
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

/** Starts reading `readable` and calls `onLine` synchronously for every line, in order. */
export const readLines = (readable: Readable, onLine: (line: string) => void): LineReader => {
  const splitter = new LineSplitter(onLine)
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
  return {
    done,
    close: () => {
      finish()
      readable.destroy()
    }
  }
}
