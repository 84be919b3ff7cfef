// How the supervisor reads a job's stdout and stderr (issue 13, issue 14 item 5): every read of every
// job's output pipe the supervisor reads itself (a busy stream's, which its spawner hands over)
// lands in ONE reused buffer and is handed over synchronously — no buffer
// allocated per read, so no dead 64 KiB chunks pile up as external memory between scavenges, and
// no stream machinery per chunk. Whoever receives the bytes must be done with them when the call
// returns (lines.ts copies a partial line; JobLog writes a batch before it returns).
import { Socket } from "node:net"
import type { Readable } from "node:stream"
import { READ_REGION_BYTES, simdEscape } from "./simd-escape"

export interface OutputSource {
  /**
   * Starts reading: `onBytes` per read, in order (a view on a reused buffer: valid only during the
   * call); `onEnd` once, when the stream has ended, closed or failed. Nothing is read before.
   * `headroom`: how many bytes right in front of `bytes` (in its ArrayBuffer) the receiver may
   * overwrite during the call — lines.ts puts a line begun in the last read there, so the two
   * make one batch without a copy of the read. Absent: none.
   */
  start(onBytes: (bytes: Buffer, headroom?: number) => void, onEnd: () => void): void
  /** Stops reading and closes the stream. */
  destroy(): void
}

/**
 * One buffer for every job's reads: a read is handed over and finished with before the next read
 * of any socket can happen (both run on this thread, one callback at a time). It lies in the JSON
 * escaper's memory (simd-escape.ts), which escapes a batch of a read where it lies, without a copy,
 * after READ_HEADROOM bytes the receiver may use: a line cut by a read is at most 64 KiB (lines.ts).
 */
export const READ_HEADROOM = 64 * 1024 + 64
let readBuffer: Buffer | undefined
const makeReadBuffer = (): Buffer => (simdEscape()?.readRegion ?? Buffer.allocUnsafe(READ_REGION_BYTES)).subarray(READ_HEADROOM)

/** Bytes read from an adopted pipe before `start` that are kept; beyond them it stops reading until `start`. */
const EARLY_BYTES = 1024 * 1024

/** What a RelayedOutput is at: relaying the spawner's reads, reading its pipe here, or done. */
type RelayState = "relayed" | "adopted" | "ended" | "destroyed"

/**
 * A job's stdout or stderr as its spawner relays it (spawner-program.ts): its first reads arrive as
 * messages (`push`), then either the end (`end`) or, for a stream that stays busy, the pipe itself
 * (`adopt`), which is read here from then on into the shared buffer — after every relayed byte, as
 * the spawner sent them in that order. Bytes that come before `start` are kept for it (an adopted
 * pipe stops being read after EARLY_BYTES until then).
 */
export class RelayedOutput implements OutputSource {
  private state: RelayState = "relayed"
  private onBytes: ((bytes: Buffer, headroom?: number) => void) | undefined
  private onEnd: (() => void) | undefined
  private early: Array<Buffer> | undefined
  private earlyBytes = 0
  private socket: Socket | undefined

  constructor(
    /** The supervisor stops reading a stream still relayed: the spawner closes its pipe. */
    private readonly stopRelay: () => void,
    /** Called once no message about this stream is expected any more (ended, adopted, destroyed). */
    private readonly settled: () => void
  ) {}

  /** Whether messages about this stream are still expected from the spawner. */
  get relaying(): boolean {
    return this.state === "relayed"
  }

  /** Bytes the spawner read (its own buffer: kept as it is until `start` when it comes before). */
  push(bytes: Buffer): void {
    if (this.state !== "relayed") return
    if (this.onBytes !== undefined) this.onBytes(bytes)
    else (this.early ??= []).push(bytes)
  }

  /** The stream ended in the spawner (or the spawner died): nothing more comes. */
  end(): void {
    if (this.state !== "relayed") return
    this.state = "ended"
    this.settled()
    this.onEnd?.()
  }

  /** The spawner handed the pipe over: read it here. False when it is not wanted (the caller closes it). */
  adopt(handle: unknown): boolean {
    if (this.state !== "relayed") return false
    this.state = "adopted"
    readBuffer ??= makeReadBuffer()
    const socket: Socket = new Socket({
      handle,
      writable: false,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          const view = (buffer as Buffer).subarray(0, bytes)
          if (this.onBytes !== undefined) {
            this.onBytes(view, READ_HEADROOM)
            return true
          }
          ;(this.early ??= []).push(Buffer.from(view))
          this.earlyBytes += bytes
          return this.earlyBytes < EARLY_BYTES // false: stop reading until start
        }
      }
    } as ConstructorParameters<typeof Socket>[0])
    socket.on("error", () => {}) // ends the stream ("close"), which start's receiver hears
    this.socket = socket
    this.settled()
    if (this.onEnd !== undefined) whenEnded(socket, this.onEnd)
    socket.resume() // before start too: a job that writes more than the pipe holds and exits is read in one go
    return true
  }

  start(onBytes: (bytes: Buffer, headroom?: number) => void, onEnd: () => void): void {
    for (const bytes of this.early ?? []) onBytes(bytes)
    this.early = undefined
    this.onBytes = onBytes
    this.onEnd = onEnd
    if (this.state === "ended") onEnd()
    else if (this.socket !== undefined) {
      whenEnded(this.socket, onEnd)
      this.socket.resume() // it paused if it read EARLY_BYTES before start
    }
  }

  destroy(): void {
    const relaying = this.state === "relayed"
    this.state = "destroyed"
    this.early = undefined
    this.socket?.destroy()
    if (relaying) {
      this.stopRelay()
      this.settled()
    }
  }
}

/** A stream's end, close or error, once; at once for one that has already ended. */
const whenEnded = (stream: Readable, onEnd: () => void): void => {
  let called = false
  const end = () => {
    if (called) return
    called = true
    onEnd()
  }
  stream.once("end", end)
  stream.once("close", end)
  stream.on("error", end)
  if (stream.readableEnded || stream.destroyed) end()
}

/** A Readable (a job's pipe when it is spawned in this process) as an OutputSource. */
export const sourceOfReadable = (readable: Readable): OutputSource => ({
  start: (onBytes, onEnd) => {
    readable.on("data", (chunk: Buffer | string) => onBytes(typeof chunk === "string" ? Buffer.from(chunk) : chunk))
    whenEnded(readable, onEnd)
  },
  destroy: () => readable.destroy()
})
