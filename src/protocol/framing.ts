// Length-prefixed JSON frames (SPEC §2): u32 big-endian length N, then N bytes of UTF-8 JSON.
// Shared by the client and the supervisor; must not import `effect`.
import { recordJsonOf, type RecordJson } from "./encoded-record"
import { MAX_FRAME_BYTES } from "./types"

/** Raised by the decoder for a header announcing more than the cap; the body is never read. */
export class FrameTooLargeError extends Error {
  readonly code = "FRAME_TOO_LARGE" as const
  constructor(readonly size: number, readonly max: number) {
    super(`frame of ${size} bytes exceeds the ${max}-byte limit`)
  }
}

/** A frame whose body is empty, not UTF-8 JSON, or not a JSON object. */
export class BadFrameError extends Error {
  readonly code = "BAD_FRAME" as const
}

export const encodeFrame = (value: unknown): Buffer => {
  const body = Buffer.from(JSON.stringify(value), "utf8")
  if (body.length > MAX_FRAME_BYTES) throw new FrameTooLargeError(body.length, MAX_FRAME_BYTES)
  const frame = Buffer.allocUnsafe(4 + body.length)
  frame.writeUInt32BE(body.length, 0)
  body.copy(frame, 4)
  return frame
}

/**
 * Encodes a batch of frames into `scratch` when they fit — a buffer the caller reuses once the
 * previous batch was written, so a long stream leaves no buffer per batch for the garbage collector
 * (issue 14 item 5: those piled up as RSS) — or into a new buffer when they do not. Returns the bytes.
 */
export const encodeFramesInto = (values: ReadonlyArray<unknown>, scratch: Buffer): Buffer => {
  const parts = values.map(framePartsOf)
  let total = 0
  for (const part of parts) total += 4 + (typeof part === "string" ? Buffer.byteLength(part, "utf8") : part.size)
  const target = total <= scratch.length ? scratch : Buffer.allocUnsafe(total)
  let offset = 0
  for (const part of parts) {
    let written: number
    if (typeof part === "string") {
      written = target.write(part, offset + 4, "utf8")
    } else {
      written = target.write(part.head, offset + 4, "utf8")
      part.json.writeInto(target, offset + 4 + written)
      written += part.json.size
      written += target.write(part.tail, offset + 4 + written, "utf8")
    }
    if (written > MAX_FRAME_BYTES) throw new FrameTooLargeError(written, MAX_FRAME_BYTES)
    target.writeUInt32BE(written, offset)
    offset += 4 + written
  }
  return target.subarray(0, total)
}

type FrameParts = string | { readonly head: string; readonly json: RecordJson; readonly tail: string; readonly size: number }

const RECORD_SLOT = '"record":0'

/**
 * A frame's JSON, or — for a StreamFrame whose record writes its own JSON (encoded-record.ts) —
 * the JSON around the record, and the record's writer.
 */
const framePartsOf = (value: unknown): FrameParts => {
  const payload = (value as { payload?: { record?: unknown } }).payload
  const json = payload !== undefined ? recordJsonOf(payload.record) : undefined
  if (json === undefined) return JSON.stringify(value)
  const around = JSON.stringify({ ...(value as object), payload: { ...payload, record: 0 } })
  // Only the payload's own record key can read "record":0 — a string's quotes would be escaped.
  const at = around.indexOf(RECORD_SLOT)
  const head = around.slice(0, at + RECORD_SLOT.length - 1)
  const tail = around.slice(at + RECORD_SLOT.length)
  return { head, json, tail, size: Buffer.byteLength(head, "utf8") + json.size + Buffer.byteLength(tail, "utf8") }
}

/** Concatenates many values into one buffer: one socket write per batch of frames. */
export const encodeFrames = (values: ReadonlyArray<unknown>): Buffer =>
  Buffer.concat(values.map(encodeFrame))

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** Parses one frame body; throws BadFrameError unless it is a UTF-8 JSON object. */
export const parseFrameBody = (body: Uint8Array): Record<string, unknown> => {
  if (body.length === 0) throw new BadFrameError("empty frame")
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(body))
  } catch (e) {
    throw new BadFrameError(`frame is not UTF-8 JSON: ${(e as Error).message}`)
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadFrameError("frame is not a JSON object")
  }
  return value as Record<string, unknown>
}

/**
 * Incremental decoder: feed it chunks as they arrive, get back the complete frame bodies.
 * Handles frames split across chunks and many frames in one chunk; copies each byte at most once,
 * and rejects an oversize header before buffering any of its body.
 */
export class FrameDecoder {
  private chunks: Buffer[] = []
  private buffered = 0
  private expected = -1

  constructor(private readonly max: number = MAX_FRAME_BYTES) {}

  /**
   * Bytes received of an incomplete frame (header or body), including a header already consumed: a peer
   * that sent only a header still has a partial frame outstanding (stall timeout, truncation at EOF).
   */
  get pending(): number {
    return this.buffered + (this.expected >= 0 ? 4 : 0)
  }

  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length))
      this.buffered += chunk.length
    }
    const out: Buffer[] = []
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) break
        const size = this.take(4).readUInt32BE(0)
        if (size > this.max) {
          this.chunks = []
          this.buffered = 0
          throw new FrameTooLargeError(size, this.max)
        }
        this.expected = size
      }
      if (this.buffered < this.expected) break
      out.push(this.take(this.expected))
      this.expected = -1
    }
    return out
  }

  /** Removes and returns the first n buffered bytes (a zero-copy view when they sit in one chunk). */
  private take(n: number): Buffer {
    this.buffered -= n
    const first = this.chunks[0]
    if (n === 0) return Buffer.alloc(0)
    if (first.length === n) {
      this.chunks.shift()
      return first
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0]
      const want = n - filled
      if (c.length <= want) {
        c.copy(out, filled)
        filled += c.length
        this.chunks.shift()
      } else {
        c.copy(out, filled, 0, want)
        this.chunks[0] = c.subarray(want)
        filled += want
      }
    }
    return out
  }
}
