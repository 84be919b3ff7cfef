// The supervisor's socket server (SPEC §2 framing and limits, §7 shutdown). Built directly on
// `node:net` so a filesystem path and an inherited fd (socket activation) are served by the same
// code: NodeSocketServer.make({ fd: 3 }) dies on the null `address()` of an inherited fd (NOTES.md),
// and the BUSY reply past 256 connections and the partial-frame timeout need the raw net.Socket.
import * as net from "node:net"
import { chmodSync } from "node:fs"
import { Cause, Data, Deferred, Effect, Exit, FiberId, FiberSet } from "effect"
import { encodeFrame } from "../protocol/framing"
import { errorResponse, type RequestEnvelope, type ResponseEnvelope } from "../protocol/types"
import { serveConnection, type Connection, type ConnectionOptions, type FrameTimers, type RequestHandler } from "./socket-connection"

export type { Connection, Replier, RequestHandler } from "./socket-connection"
export { INTERNAL_ERROR_MESSAGE } from "./socket-connection"

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
  /**
   * Answers a request from memory, synchronously — no fiber, no extra turn of the event loop
   * (issue 13: `hookctl status` and every command's Hello) — or returns undefined to leave it to
   * `handler`. It must not fail: it is for answers that cannot (Hello, Status).
   */
  readonly answerNow?: (request: RequestEnvelope) => ResponseEnvelope | undefined
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

const describeTarget = (target: ListenTarget): string =>
  target._tag === "Path" ? target.path : target._tag === "Fd" ? `fd ${target.fd}` : target.describe

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
  const connectionOptions: ConnectionOptions = {
    handler: options.handler,
    answerNow: options.answerNow,
    isDraining: options.isDraining,
    reportInternal,
    run: (effect) => {
      run(effect)
    }
  }
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
    // Past the ordinary slots, a connection stays only if it sends a whole frame promptly: tricklers
    // cannot hold the last slots, so the user's own command still gets in.
    const timers: FrameTimers = {
      partialFrameTimeoutMs,
      frameDeadlineMs,
      promptFrameMs: openConnections > ordinarySlots ? promptFrameMs : undefined
    }
    serveConnection(socket, closed, connection, connectionOptions, timers)
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
