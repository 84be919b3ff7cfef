// One connection of the socket server (socket-server.ts): its frames in, its answers out.
// Plain callbacks and one fiber per request that needs one, instead of a mailbox and a stream per
// connection (issue 13: a `hookctl status` spent more time in that machinery than in its answer).
// A request answered from memory (Hello, Status) is answered in the 'data' callback itself, and an
// answer followed by more requests from the same read is written together with the next answer:
// a client's Hello + request cost the supervisor one write (and the client one wake-up).
import type * as net from "node:net"
import { Cause, Chunk, Deferred, Effect, Either, Stream } from "effect"
import { BadFrameError, encodeFrame, encodeFramesInto, FrameDecoder, FrameTooLargeError, parseFrameBody } from "../protocol/framing"
import { decodeRequest } from "../protocol/codec"
import { errorResponse, type RequestEnvelope, type ResponseEnvelope } from "../protocol/types"

export interface Connection {
  readonly id: number
  /** Completes when the peer disconnects or the server closes the connection. */
  readonly closed: Effect.Effect<void>
}

export interface Replier {
  /** Completes when the frame is handed to the kernel (backpressure); a no-op after the peer left. */
  send(response: ResponseEnvelope): Effect.Effect<void>
  /** One socket write per upstream chunk; stops early (interrupting the stream) when the peer disconnects. */
  stream(responses: Stream.Stream<ResponseEnvelope, never>): Effect.Effect<void>
}

export type RequestHandler = (request: RequestEnvelope, reply: Replier, connection: Connection) => Effect.Effect<void>

export const INTERNAL_ERROR_MESSAGE = "internal error (see the supervisor log)"

/**
 * A streaming connection's reused encode buffer starts this small and grows (×4) after a batch that
 * did not fit, up to STREAM_SCRATCH_BYTES; a batch over that gets its own. A waited hook's stream
 * (a few small frames) never takes 2 MiB: every such Buffer is external memory V8 counts towards
 * its next full collection, which came every ~4 hook runs (issue 13: waited hook).
 */
const STREAM_SCRATCH_FIRST_BYTES = 16 * 1024
const STREAM_SCRATCH_BYTES = 2 * 1024 * 1024

// ---------------------------------------------------------------- inbound frames

export interface FrameTimers {
  readonly partialFrameTimeoutMs: number
  readonly frameDeadlineMs: number
  /** For a connection in a reserved slot: its first whole frame must arrive this soon. */
  readonly promptFrameMs: number | undefined
}

interface Inbound {
  /** Whole frame bodies, as bytes arrive. */
  readonly frames: (bodies: Array<Buffer>) => void
  /** No more frames: the socket closed, or a header announced an oversize frame (its body is never read). */
  readonly end: (tooLarge: FrameTooLargeError | undefined) => void
}

/** Reads frames off the socket; a partial frame that stalls (or trickles past its deadline) is dropped with the socket. */
const watchSocket = (socket: net.Socket, timers: FrameTimers, inbound: Inbound): void => {
  const decoder = new FrameDecoder()
  let stalled: NodeJS.Timeout | undefined
  let deadline: NodeJS.Timeout | undefined
  let prompt: NodeJS.Timeout | undefined
  let stopped = false
  const cutAfter = (ms: number) => {
    const timer = setTimeout(() => socket.destroy(), ms)
    timer.unref()
    return timer
  }
  if (timers.promptFrameMs !== undefined) prompt = cutAfter(timers.promptFrameMs)

  const clearStallTimer = () => {
    if (stalled !== undefined) clearTimeout(stalled)
    stalled = undefined
  }
  const clearTimers = () => {
    clearStallTimer()
    clearTimeout(deadline)
    clearTimeout(prompt)
    deadline = undefined
  }
  const stop = (tooLarge: FrameTooLargeError | undefined) => {
    if (stopped) return
    stopped = true
    clearTimers()
    inbound.end(tooLarge)
  }

  socket.on("data", (chunk: Buffer) => {
    if (stopped) return
    let bodies: Array<Buffer>
    try {
      bodies = decoder.push(chunk)
    } catch (error) {
      socket.pause()
      if (error instanceof FrameTooLargeError) stop(error)
      else socket.destroy()
      return
    }
    clearStallTimer()
    if (bodies.length > 0) {
      clearTimeout(prompt)
      clearTimeout(deadline)
      deadline = undefined
    }
    if (decoder.pending > 0) {
      stalled = cutAfter(timers.partialFrameTimeoutMs)
      // The whole-frame deadline runs from the frame's first byte: a trickle cannot extend it.
      deadline ??= cutAfter(timers.frameDeadlineMs)
    }
    if (bodies.length > 0) inbound.frames(bodies)
  })
  socket.once("close", () => stop(undefined))
  // Until a 'data' listener is attached a socket only buffers; only an error could have closed it.
  if (socket.destroyed) stop(undefined)
  // A connection claimed from the first stage comes paused (a 'data' listener alone does not resume it).
  else socket.resume()
}

// ---------------------------------------------------------------- answers

interface ConnectionReplier extends Replier {
  /** Keeps an answer to write with the next one (more requests of the same read are being answered). */
  hold(frame: Buffer): void
  /**
   * What is held goes with the first answer of the request now being handled — or after
   * HELD_AT_MOST_MS, if that request has nothing to say yet.
   */
  flushSoon(): void
  /** Writes what is held, now. */
  flush(): void
  /** Writes what is held, then destroys the socket (bytes handed to the kernel still reach the peer). */
  finish(): void
}

/**
 * Answers held for a handler that has not written yet are written after this long all the same: a
 * follow with nothing to say yet must not keep its Welcome (and the version notice) back.
 */
const HELD_AT_MOST_MS = 10

/** `moreQueued`: requests of this connection are waiting to be answered (their answers follow soon). */
const makeReplier = (socket: net.Socket, closed: Deferred.Deferred<void>, moreQueued: () => boolean): ConnectionReplier => {
  const peerGone = Deferred.await(closed)
  let scratch: Buffer | undefined
  let held: Array<Buffer> = []
  let heldTimer: NodeJS.Timeout | undefined
  const withHeld = (bytes: Buffer): Buffer => {
    if (held.length === 0) return bytes
    const all = Buffer.concat([...held, bytes])
    held = []
    clearTimeout(heldTimer)
    heldTimer = undefined
    return all
  }
  /**
   * Completes once the bytes reach the kernel (the write callback, natural backpressure) or the peer
   * leaves — a listener, not a race: each race forks fibers.
   */
  const write = (bytes: Buffer): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      const all = withHeld(bytes)
      if (socket.destroyed || !socket.writable || all.length === 0) {
        resume(Effect.void)
        return
      }
      let done = false
      const written = () => {
        if (done) return
        done = true
        socket.off("close", written)
        resume(Effect.void)
      }
      socket.once("close", written)
      socket.write(all, written)
      return Effect.sync(() => socket.off("close", written))
    })
  const flush = (then?: () => void): void => {
    const all = withHeld(Buffer.alloc(0))
    if (all.length === 0 || socket.destroyed || !socket.writable) then?.()
    else socket.write(all, then)
  }
  const hold = (frame: Buffer): void => {
    held.push(frame)
  }
  return {
    // With more requests queued, the answer waits for theirs: one write (ls: its page and Status).
    send: (response) => Effect.suspend(() => (moreQueued() ? Effect.sync(() => hold(encodeFrame(response))) : write(encodeFrame(response)))),
    stream: (responses) =>
      // One race with the peer's leaving for the whole stream, not one per chunk: each race (or
      // interruptWhen) forks fibers, some 50 KB of garbage per chunk — most of what a fast log
      // reader cost the supervisor (issue 14 item 5). raceFirst: a stream that dies ends the race
      // (and is reported) instead of waiting for a peer that waits for an answer.
      Effect.raceFirst(
        Stream.runForEachChunk(responses, (chunk) =>
          Effect.suspend(() => {
            if (Chunk.isEmpty(chunk) || socket.destroyed) return Effect.void
            // One write per upstream chunk, encoded only when the peer is still there, and the next
            // chunk pulled only once this one reached the kernel (the write waits for that, so the
            // buffer is free again): a reader's backlog stays upstream, never in this socket's buffer.
            scratch ??= Buffer.allocUnsafe(STREAM_SCRATCH_FIRST_BYTES)
            const bytes = encodeFramesInto(Chunk.toReadonlyArray(chunk), scratch)
            // The write below completes before the next chunk is encoded, so the old scratch is free.
            if (bytes !== scratch && scratch.length < STREAM_SCRATCH_BYTES) {
              scratch = Buffer.allocUnsafe(Math.min(STREAM_SCRATCH_BYTES, Math.max(bytes.length, scratch.length * 4)))
            }
            return write(bytes)
          })
        ),
        peerGone
      ),
    hold,
    flushSoon: () => {
      if (held.length > 0) heldTimer ??= setTimeout(() => flush(), HELD_AT_MOST_MS).unref()
    },
    flush: () => flush(),
    finish: () => flush(() => socket.destroy())
  }
}

// ---------------------------------------------------------------- one connection

export interface ConnectionOptions {
  readonly handler: RequestHandler
  readonly answerNow: ((request: RequestEnvelope) => ResponseEnvelope | undefined) | undefined
  readonly isDraining: Effect.Effect<boolean>
  readonly reportInternal: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
  /** Forks an effect into the server's fiber set (interrupted when the server's scope closes). */
  readonly run: (effect: Effect.Effect<void>) => void
}

type Answer = ResponseEnvelope | Effect.Effect<void>

/** The answer a frame gets now (an error, BUSY, or answerNow's), or the effect of its handler. */
const answerFrame = (body: Buffer, options: ConnectionOptions, replier: Replier, connection: Connection): Answer => {
  let raw: Record<string, unknown>
  try {
    raw = parseFrameBody(body)
  } catch (error) {
    if (error instanceof BadFrameError) return errorResponse("BAD_FRAME", error.message)
    throw error
  }
  const decoded = decodeRequest(raw)
  if (Either.isLeft(decoded)) {
    const { code, message, id, details } = decoded.left
    return errorResponse(code, message, id, details)
  }
  const request = decoded.right
  if (Effect.runSync(options.isDraining)) return errorResponse("BUSY", "shutting down", request.id)
  const now = options.answerNow?.(request)
  if (now !== undefined) return now
  return options.handler(request, replier, connection).pipe(
    Effect.catchAllCause((cause) =>
      options.reportInternal(cause).pipe(Effect.zipRight(replier.send(errorResponse("INTERNAL", INTERNAL_ERROR_MESSAGE, request.id))))
    )
  )
}

/**
 * Serves one accepted socket until it closes. Requests are answered in order: the next frame only
 * once the previous request's handler returned.
 */
export const serveConnection = (
  socket: net.Socket,
  closed: Deferred.Deferred<void>,
  connection: Connection,
  options: ConnectionOptions,
  timers: FrameTimers
): void => {
  const queue: Array<Buffer> = []
  const replier = makeReplier(socket, closed, () => queue.length > 0)
  let busy = false
  let ended = false
  let tooLarge: FrameTooLargeError | undefined
  const afterHandler = Effect.sync(() => {
    busy = false
    pump()
  })
  const pump = (): void => {
    while (!busy && queue.length > 0) {
      let answer: Answer
      try {
        answer = answerFrame(queue.shift()!, options, replier, connection)
      } catch (defect) {
        options.run(options.reportInternal(Cause.die(defect)))
        answer = errorResponse("INTERNAL", INTERNAL_ERROR_MESSAGE)
      }
      if (Effect.isEffect(answer)) {
        busy = true
        options.run(Effect.ensuring(answer, afterHandler))
        replier.flushSoon()
      } else {
        replier.hold(encodeFrame(answer))
      }
    }
    if (busy) return
    if (!ended) return replier.flush()
    if (tooLarge !== undefined) replier.hold(encodeFrame(errorResponse("FRAME_TOO_LARGE", tooLarge.message)))
    replier.finish()
  }
  watchSocket(socket, timers, {
    frames: (bodies) => {
      for (const body of bodies) queue.push(body)
      pump()
    },
    end: (error) => {
      ended = true
      tooLarge = error
      pump()
    }
  })
}
