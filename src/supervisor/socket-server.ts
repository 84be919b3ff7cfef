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

export interface ServeOptions {
  readonly listen: ListenTarget
  readonly handler: RequestHandler
  /** Default 256: the next connection gets Error{BUSY} and is closed. */
  readonly maxConnections?: number
  /** Default 30000: a connection holding a partial frame with no new bytes for this long is closed. */
  readonly partialFrameTimeoutMs?: number
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
/** A streaming connection's reused encode buffer: a batch that does not fit gets its own. */
const STREAM_SCRATCH_BYTES = 2 * 1024 * 1024
export const INTERNAL_ERROR_MESSAGE = "internal error (see the supervisor log)"

const describeTarget = (target: ListenTarget): string =>
  target._tag === "Path" ? target.path : `fd ${target.fd}`

// ---------------------------------------------------------------- inbound frames of one connection

/**
 * Feeds the connection's mailbox from the socket: frame bodies as bytes arrive; it ends when the
 * socket closes, or fails on an oversize header (answered, then the connection closes, without
 * reading the body). A partial frame that stalls is dropped with the socket.
 */
const watchSocket = (socket: net.Socket, inbox: Mailbox.Mailbox<Buffer, FrameTooLargeError>, partialFrameTimeoutMs: number): void => {
  const decoder = new FrameDecoder()
  let stalled: NodeJS.Timeout | undefined
  let stopped = false

  const clearStallTimer = () => {
    if (stalled !== undefined) clearTimeout(stalled)
    stalled = undefined
  }

  socket.on("data", (chunk: Buffer) => {
    if (stopped) return
    let bodies: Array<Buffer>
    try {
      bodies = decoder.push(chunk)
    } catch (error) {
      stopped = true
      clearStallTimer()
      socket.pause()
      if (error instanceof FrameTooLargeError) inbox.unsafeDone(Exit.fail(error))
      else socket.destroy()
      return
    }
    inbox.unsafeOfferAll(bodies)
    clearStallTimer()
    if (decoder.pending > 0) {
      stalled = setTimeout(() => socket.destroy(), partialFrameTimeoutMs)
      stalled.unref()
    }
  })
  socket.once("close", () => {
    clearStallTimer()
    inbox.unsafeDone(Exit.void)
  })
  // Until a 'data' listener is attached a socket only buffers; only an error could have closed it.
  if (socket.destroyed) inbox.unsafeDone(Exit.void)
}

// ---------------------------------------------------------------- replies

const makeReplier = (socket: net.Socket, closed: Deferred.Deferred<void>): Replier => {
  const peerGone = Deferred.await(closed)
  let scratch: Buffer | undefined
  const write = (bytes: Buffer): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (socket.destroyed || !socket.writable || bytes.length === 0) return Effect.void
      // The write callback fires once the bytes reach the kernel (or with an error): natural backpressure.
      const written = Effect.async<void>((resume) => {
        socket.write(bytes, () => resume(Effect.void))
      })
      return Effect.race(written, peerGone)
    })
  return {
    send: (response) => Effect.suspend(() => write(encodeFrame(response))),
    stream: (responses) =>
      responses.pipe(
        Stream.interruptWhenDeferred(closed),
        // One write per upstream chunk, encoded only when the peer is still there, and the next chunk
        // pulled only once this one reached the kernel: a reader's backlog stays upstream (tail.ts
        // bounds it), never in this socket's buffer.
        Stream.runForEachChunk((chunk) =>
          Effect.suspend(() => {
            if (Chunk.isEmpty(chunk) || socket.destroyed) return Effect.void
            // The previous batch reached the kernel (write waits for that), so its buffer is free again.
            scratch ??= Buffer.allocUnsafe(STREAM_SCRATCH_BYTES)
            return write(encodeFramesInto(Chunk.toReadonlyArray(chunk), scratch))
          })
        )
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

const serveConnection = (socket: net.Socket, ctx: ConnectionContext, partialFrameTimeoutMs: number): Effect.Effect<void> =>
  Effect.gen(function* () {
    const inbox = yield* Mailbox.make<Buffer, FrameTooLargeError>()
    yield* Effect.sync(() => watchSocket(socket, inbox, partialFrameTimeoutMs))
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

const rejectBusy = (socket: net.Socket, limit: number): void => {
  const frame = encodeFrame(errorResponse("BUSY", `too many connections (limit ${limit})`))
  socket.end(frame, () => socket.destroy())
}

// ---------------------------------------------------------------- listening

const startError = (target: string, what: string, error: unknown) =>
  new ServerStartError({ target, message: `${what} ${target}: ${(error as Error)?.message ?? String(error)}`, cause: error })

const listenOn = (server: net.Server, target: ListenTarget): Effect.Effect<void, ServerStartError> =>
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
  const onInternalError = options.onInternalError ?? ((cause) => Effect.logError("socket server", cause))
  const reportInternal = (cause: Cause.Cause<unknown>) =>
    Effect.suspend(() => onInternalError(cause)).pipe(Effect.catchAllCause(() => Effect.void))

  const server = net.createServer({ allowHalfOpen: false })
  const sockets = new Set<net.Socket>()
  const serverClosed = Deferred.unsafeMake<void>(FiberId.none)
  let everListened = false
  let openConnections = 0
  let nextConnectionId = 1
  server.once("listening", () => {
    everListened = true
  })
  server.once("close", () => Deferred.unsafeDone(serverClosed, Exit.void))

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
    if (server.listening) server.close()
  })
  yield* Effect.addFinalizer(() => stopAccepting)

  server.on("connection", (socket: net.Socket) => {
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
    run(serveConnection(socket, { options, replier, connection, reportInternal }, partialFrameTimeoutMs))
  })
  // Errors after listening (e.g. EMFILE on accept) must never crash the supervisor.
  server.on("error", (error) => {
    if (everListened) run(reportInternal(Cause.die(error)))
  })

  yield* listenOn(server, options.listen)
  return {
    connectionCount: Effect.sync(() => openConnections),
    stopAccepting
  } satisfies ServerHandle
})
