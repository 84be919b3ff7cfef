// How the supervisor reads a job's stdout and stderr (issue 13, issue 14 item 5): every read of every
// job's output socket lands in ONE reused buffer and is handed over synchronously — no buffer
// allocated per read, so no dead 64 KiB chunks pile up as external memory between scavenges, and
// no stream machinery per chunk. Whoever receives the bytes must be done with them when the call
// returns (lines.ts copies a partial line; JobLog writes a batch before it returns).
import { connect, type Socket } from "node:net"
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

/** Bytes read before `start` that are kept; beyond them the socket stops reading until `start`. */
const EARLY_BYTES = 1024 * 1024

/**
 * Connects to `path`, writes `header`, and reads what comes back as a job's output, handed over from
 * `start` on. Reading starts at once, as a stream's would: a job that has already written and exited
 * by the time its reader starts is read in one go (the leader's exit only waits a moment for it).
 * Resolves once connected.
 */
export const connectOutput = (path: string, header: string): Promise<OutputSource> =>
  new Promise((resolve, reject) => {
    let onBytes: ((bytes: Buffer, headroom?: number) => void) | undefined
    /** Bytes read before `start`: copied, kept for it. */
    let early: Array<Buffer> | undefined
    let earlyBytes = 0
    readBuffer ??= makeReadBuffer()
    const socket: Socket = connect({
      path,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          const view = (buffer as Buffer).subarray(0, bytes)
          if (onBytes !== undefined) {
            onBytes(view, READ_HEADROOM)
            return true
          }
          ;(early ??= []).push(Buffer.from(view))
          earlyBytes += bytes
          return earlyBytes < EARLY_BYTES // false: stop reading until start
        }
      }
    })
    const failed = (e: Error) => reject(e)
    socket.once("error", failed)
    socket.once("connect", () => {
      socket.off("error", failed)
      socket.on("error", () => {}) // ends the stream ("close"), which start's receiver hears
      socket.write(header)
      resolve({
        start: (take, onEnd) => {
          for (const bytes of early ?? []) take(bytes)
          early = undefined
          onBytes = take
          whenEnded(socket, onEnd)
          socket.resume()
        },
        destroy: () => socket.destroy()
      })
    })
  })

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
