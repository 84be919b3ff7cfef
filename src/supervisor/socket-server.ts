// The supervisor's socket server (SPEC §2 framing and limits, §7 shutdown). Built directly on
// `node:net` so a filesystem path and an inherited fd (socket activation) are served by the same
// code: NodeSocketServer.make({ fd: 3 }) dies on the null `address()` of an inherited fd (NOTES.md),
// and the BUSY reply past 256 connections and the partial-frame timeout need the raw net.Socket.
import * as net from "node:net"
import { chmodSync } from "node:fs"
import { Cause, Chunk, Data, Deferred, Effect, Either, Exit, FiberId, FiberSet, Mailbox, Stream } from "effect"
import {
  BadFrameError,
  encodeFrame,
  encodeFramesInto,
  FrameDecoder,
  FrameTooLargeError,
  parseFrameBody
} from "../protocol/framing"
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

export type ListenTarget =
  | { readonly _tag: "Path"; readonly path: string }
  | { readonly _tag: "Fd"; readonly fd: number }
  /**
   * A server already listening (the loader's first stage: first-stage.ts) and the connections it
   * accepted, paused with their unread bytes put back; `claim` is called once, in the same
   * synchronous step that attaches the handler, so no connection falls between the two.
   */
  | {
      readonly _tag: "Claimed"
      readonly describe: string
      readonly claim: () => { readonly server: net.Server; readonly connections: ReadonlyArray<net.Socket> }
    }

export interface ServeOptions {
  readonly listen: ListenTarget
  readonly handler: RequestHandler
  /** Default 256: the next connection gets Error{BUSY} and is closed. */
  readonly maxConnections?: number
  /** Default 30000: a connection holding a partial frame with no new bytes for this long is closed. */
  readonly partialFrameTimeoutMs?: number
  /**
   * Default 10000 (HOOKD_FRAME_DEADLINE_MS in main): a frame must be complete this long after its
   * first byte, however steadily its bytes trickle in; the connection is closed otherwise.
   */
  readonly frameDeadlineMs?: number
  /** Default 16 (of 256): the last slots, kept for connections that send a whole frame within `promptFrameMs`. */
  readonly reservedConnections?: number
  /** Default 1000: how soon a connection in a reserved slot must have sent a whole frame. */
  readonly promptFrameMs?: number
  /** True during shutdown: every new request is answered Error{BUSY} instead of dispatched. */
  readonly isDraining: Effect.Effect<boolean>
  /** For the supervisor log: stack traces go there, never on the wire. */
  readonly onInternalError?: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

export interface ServerHandle {
  readonly connectionCount: Effect.Effect<number>
  readonly stopAccepting: Effect.Effect<void>
}

export class ServerStartError extends Data.TaggedError("ServerStartError")<{
  readonly target: string
  readonly message: string
  readonly cause?: unknown
}> {}

export const DEFAULT_MAX_CONNECTIONS = 256
export const DEFAULT_PARTIAL_FRAME_TIMEOUT_MS = 30_000
export const DEFAULT_FRAME_DEADLINE_MS = 10_000
export const DEFAULT_RESERVED_CONNECTIONS = 16
export const DEFAULT_PROMPT_FRAME_MS = 1_000
/** A refused connection's request is read (and dropped) this long so the peer reads BUSY, not EPIPE. */
const BUSY_LINGER_MS = 2_000
/** A streaming connection's reused encode buffer: a batch that does not fit gets its own. */
const STREAM_SCRATCH_BYTES = 2 * 1024 * 1024
export const INTERNAL_ERROR_MESSAGE = "internal error (see the supervisor log)"

const describeTarget = (target: ListenTarget): string =>
  target._tag === "Path" ? target.path : target._tag === "Fd" ? `fd ${target.fd}` : target.describe

// ---------------------------------------------------------------- inbound frames of one connection

/**
 * Feeds the connection's mailbox from the socket: frame bodies as bytes arrive; it ends when the
 * socket closes, or fails on an oversize header (answered, then the connection closes, without
 * reading the body). A partial frame that stalls is dropped with the socket.
 */
interface FrameTimers {
  readonly partialFrameTimeoutMs: number
  readonly frameDeadlineMs: number
  /** For a connection in a reserved slot: its first whole frame must arrive this soon. */
  readonly promptFrameMs: number | undefined
}

const watchSocket = (socket: net.Socket, inbox: Mailbox.Mailbox<Buffer, FrameTooLargeError>, timers: FrameTimers): void => {
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

  socket.on("data", (chunk: Buffer) => {
    if (stopped) return
    let bodies: Array<Buffer>
    try {
      bodies = decoder.push(chunk)
    } catch (error) {
      stopped = true
      clearTimers()
      socket.pause()
      if (error instanceof FrameTooLargeError) inbox.unsafeDone(Exit.fail(error))
      else socket.destroy()
      return
    }
    inbox.unsafeOfferAll(bodies)
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
  })
  socket.once("close", () => {
    clearTimers()
    inbox.unsafeDone(Exit.void)
  })
  // Until a 'data' listener is attached a socket only buffers; only an error could have closed it.
  if (socket.destroyed) inbox.unsafeDone(Exit.void)
  // A connection claimed from the first stage comes paused (a 'data' listener alone does not resume it).
  else socket.resume()
}

// ---------------------------------------------------------------- replies

const makeReplier = (socket: net.Socket, closed: Deferred.Deferred<void>): Replier => {
  const peerGone = Deferred.await(closed)
  let scratch: Buffer | undefined
  /** The write callback fires once the bytes reach the kernel (or with an error): natural backpressure. */
  const writeOnly = (bytes: Buffer): Effect.Effect<void> =>
    Effect.suspend(() =>
      socket.destroyed || !socket.writable || bytes.length === 0
        ? Effect.void
        : Effect.async<void>((resume) => {
            socket.write(bytes, () => resume(Effect.void))
          })
    )
  return {
    send: (response) => Effect.race(Effect.suspend(() => writeOnly(encodeFrame(response))), peerGone),
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
            scratch ??= Buffer.allocUnsafe(STREAM_SCRATCH_BYTES)
            return writeOnly(encodeFramesInto(Chunk.toReadonlyArray(chunk), scratch))
          })
        ),
        peerGone
      )
  }
}

// ---------------------------------------------------------------- one connection

interface ConnectionContext {
  readonly options: ServeOptions
  readonly replier: Replier
  readonly connection: Connection
  readonly reportInternal: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

const answerFrame = (body: Buffer, ctx: ConnectionContext): Effect.Effect<void> =>
  Effect.suspend(() => {
    const { replier } = ctx
    let raw: Record<string, unknown>
    try {
      raw = parseFrameBody(body)
    } catch (error) {
      if (error instanceof BadFrameError) return replier.send(errorResponse("BAD_FRAME", error.message))
      throw error
    }
    const decoded = decodeRequest(raw)
    if (Either.isLeft(decoded)) {
      const { code, message, id, details } = decoded.left
      return replier.send(errorResponse(code, message, id, details))
    }
    const request = decoded.right
    return Effect.flatMap(ctx.options.isDraining, (draining) =>
      draining
        ? replier.send(errorResponse("BUSY", "shutting down", request.id))
        : ctx.options.handler(request, replier, ctx.connection).pipe(
            Effect.catchAllCause((cause) =>
              ctx.reportInternal(cause).pipe(
                Effect.zipRight(replier.send(errorResponse("INTERNAL", INTERNAL_ERROR_MESSAGE, request.id)))
              )
            )
          )
    )
  })

const serveConnection = (socket: net.Socket, ctx: ConnectionContext, timers: FrameTimers): Effect.Effect<void> =>
  Effect.gen(function* () {
    const inbox = yield* Mailbox.make<Buffer, FrameTooLargeError>()
    yield* Effect.sync(() => watchSocket(socket, inbox, timers))
    // Requests on one connection are answered in order: the next frame only after the handler returned.
    yield* Mailbox.toStream(inbox).pipe(
      Stream.runForEach((body) => answerFrame(body, ctx)),
      Effect.catchAll((tooLarge) => ctx.replier.send(errorResponse("FRAME_TOO_LARGE", tooLarge.message)))
    )
  }).pipe(
    Effect.catchAllCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.void : ctx.reportInternal(cause))),
    // Bytes already handed to the kernel still reach the peer after destroy().
    Effect.ensuring(Effect.sync(() => socket.destroy()))
  )

/**
 * Answers BUSY and closes — after reading (and dropping) what the peer sends for a moment: closing
 * with its request unread would make its write fail with EPIPE before it could read the answer.
 */
const rejectBusy = (socket: net.Socket, limit: number): void => {
  const frame = encodeFrame(errorResponse("BUSY", `hookd is busy: too many connections (limit ${limit}); try again shortly`))
  socket.on("data", () => {})
  socket.end(frame)
  setTimeout(() => socket.destroy(), BUSY_LINGER_MS).unref()
}

// ---------------------------------------------------------------- listening

const startError = (target: string, what: string, error: unknown) =>
  new ServerStartError({ target, message: `${what} ${target}: ${(error as Error)?.message ?? String(error)}`, cause: error })

const listenOn = (server: net.Server, target: Exclude<ListenTarget, { readonly _tag: "Claimed" }>): Effect.Effect<void, ServerStartError> =>
  Effect.async<void, ServerStartError>((resume) => {
    const fail = (error: unknown) => resume(Effect.fail(startError(describeTarget(target), "cannot listen on", error)))
    const onListening = () => {
      server.off("error", fail)
      resume(Effect.void)
    }
    server.once("error", fail)
    server.once("listening", onListening)
    try {
      if (target._tag === "Path") {
        // bind() runs synchronously inside listen(): the socket is created 0600 with no window.
        const previous = process.umask(0o177)
        try {
          server.listen({ path: target.path })
        } finally {
          process.umask(previous)
        }
      } else {
        server.listen({ fd: target.fd })
      }
    } catch (error) {
      server.off("error", fail)
      server.off("listening", onListening)
      fail(error)
    }
  }).pipe(
    Effect.zipRight(
      target._tag === "Path"
        ? Effect.try({ try: () => chmodSync(target.path, 0o600), catch: (error) => startError(target.path, "cannot chmod 600", error) })
        : Effect.void
    )
  )

/**
 * Serves until the scope closes. Closing it stops accepting, interrupts the connection fibers
 * (their streams end), destroys the sockets and closes the server (libuv unlinks a path socket).
 */
export const serve = Effect.fn("SocketServer.serve")(function* (options: ServeOptions) {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  const partialFrameTimeoutMs = options.partialFrameTimeoutMs ?? DEFAULT_PARTIAL_FRAME_TIMEOUT_MS
  const frameDeadlineMs = options.frameDeadlineMs ?? DEFAULT_FRAME_DEADLINE_MS
  // 16 of the default 256; a small test limit keeps a sixteenth (none below 16).
  const reserved = options.reservedConnections ?? Math.min(DEFAULT_RESERVED_CONNECTIONS, Math.floor(maxConnections / 16))
  const ordinarySlots = maxConnections - Math.min(reserved, maxConnections - 1)
  const promptFrameMs = options.promptFrameMs ?? DEFAULT_PROMPT_FRAME_MS
  const onInternalError = options.onInternalError ?? ((cause) => Effect.logError("socket server", cause))
  const reportInternal = (cause: Cause.Cause<unknown>) =>
    Effect.suspend(() => onInternalError(cause)).pipe(Effect.catchAllCause(() => Effect.void))

  let server: net.Server | undefined
  const sockets = new Set<net.Socket>()
  const serverClosed = Deferred.unsafeMake<void>(FiberId.none)
  let everListened = false
  let openConnections = 0
  let nextConnectionId = 1

  // Finalizers run in reverse: stop accepting, then interrupt connections, then close the server.
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      for (const socket of sockets) socket.destroy()
      return everListened ? Deferred.await(serverClosed) : Effect.void
    })
  )
  const fibers = yield* FiberSet.make<void, never>()
  const run = yield* FiberSet.runtime(fibers)<never>()
  const stopAccepting = Effect.sync(() => {
    if (server?.listening) server.close()
  })
  yield* Effect.addFinalizer(() => stopAccepting)

  const accept = (socket: net.Socket) => {
    // ECONNRESET, EPIPE…: the 'close' event that follows is all we need.
    socket.on("error", () => {})
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
    if (openConnections >= maxConnections) return rejectBusy(socket, maxConnections)
    openConnections++
    const closed = Deferred.unsafeMake<void>(FiberId.none)
    socket.once("close", () => {
      openConnections--
      Deferred.unsafeDone(closed, Exit.void)
    })
    const connection: Connection = { id: nextConnectionId++, closed: Deferred.await(closed) }
    const replier = makeReplier(socket, closed)
    // Past the ordinary slots, a connection stays only if it sends a whole frame promptly: tricklers
    // cannot hold the last slots, so the user's own command still gets in.
    const timers: FrameTimers = {
      partialFrameTimeoutMs,
      frameDeadlineMs,
      promptFrameMs: openConnections > ordinarySlots ? promptFrameMs : undefined
    }
    run(serveConnection(socket, { options, replier, connection, reportInternal }, timers))
  }
  const attach = (listening: net.Server) => {
    server = listening
    listening.once("close", () => Deferred.unsafeDone(serverClosed, Exit.void))
    listening.on("connection", accept)
    // Errors after listening (e.g. EMFILE on accept) must never crash the supervisor.
    listening.on("error", (error) => {
      if (everListened) run(reportInternal(Cause.die(error)))
    })
  }

  const target = options.listen
  if (target._tag === "Claimed") {
    yield* Effect.sync(() => {
      const claimed = target.claim()
      attach(claimed.server)
      everListened = true
      claimed.connections.forEach(accept)
    })
  } else {
    const fresh = net.createServer({ allowHalfOpen: false })
    fresh.once("listening", () => {
      everListened = true
    })
    attach(fresh)
    yield* listenOn(fresh, target)
  }
  return {
    connectionCount: Effect.sync(() => openConnections),
    stopAccepting
  } satisfies ServerHandle
})
