// The one framed client of the supervisor's socket (SPEC §2): connect, send envelopes with ids, read
// answers and streams with the frame cap, backpressure and timeouts. Used by hookctl (client/connection.ts
// adds its error messages, autostart and Ctrl-C), `hookctl service status`, the tests and bench/.
// Plain node:net, or libuv's pipe handle without it (raw-pipe.ts) — hookctl loads this, so it must
// never import `effect`.
import type { Socket } from "node:net"
import { nodeNet } from "./builtins"
import { encodeFrame, FrameDecoder, parseFrameBody } from "./framing"
import { connectRawPipe, type ClientSocket } from "./raw-pipe"
import { UNSAFE_SOCKET, unsafeSocket } from "./socket-safety"
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type RequestName, type RequestPayloads, type ResponseEnvelope } from "./types"

export const CONNECT_TIMEOUT_MS = 5_000
/** Answers buffered ahead of a slow reader before the socket is paused (backpressure). */
const HIGH_WATER_FRAMES = 256

/** A connect that failed, with its errno: ENOENT (no socket file), ECONNREFUSED (stale socket), ETIMEDOUT… */
export class ConnectError extends Error {
  constructor(
    readonly path: string,
    readonly errno: string,
    message: string
  ) {
    super(message)
  }
}

/** Why a connection stopped delivering answers: the peer closed it, it broke, an answer was late or unreadable. */
export class ConnectionFailed extends Error {
  constructor(
    readonly reason: "closed" | "lost" | "timeout" | "bad-answer",
    message: string
  ) {
    super(message)
  }
}

export interface ConnectOptions {
  readonly timeoutMs?: number
  /** The largest answer accepted (default: the protocol's cap); a bigger header fails the connection. */
  readonly maxFrameBytes?: number
}

/**
 * Connects to a Unix socket; rejects with ConnectError. A socket another user controls is refused
 * before anything is sent, with errno UNSAFE_SOCKET (issue 14 item 1: it could be an impostor).
 * Through libuv's pipe handle when it connects at once (raw-pipe.ts: node:net costs hookctl ~3 ms),
 * else through node:net — so a failure is always node:net's, in its words.
 */
export const openSocket = (path: string, timeoutMs: number = CONNECT_TIMEOUT_MS): Promise<ClientSocket> => {
  const unsafe = unsafeSocket(path)
  if (unsafe) return Promise.reject(new ConnectError(path, UNSAFE_SOCKET, unsafe.message))
  return connectRawPipe(path, timeoutMs, () => connectTimedOut(path)).then((raw) => raw ?? openNetSocket(path, timeoutMs))
}

const connectTimedOut = (path: string) => new ConnectError(path, "ETIMEDOUT", `connecting to ${path} timed out`)

const openNetSocket = (path: string, timeoutMs: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = nodeNet().connect({ path })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(connectTimedOut(path))
    }, timeoutMs)
    socket.once("connect", () => {
      clearTimeout(timer)
      socket.removeAllListeners("error")
      resolve(socket)
    })
    socket.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(new ConnectError(path, e.code ?? "EIO", `${path}: ${e.message}`))
    })
  })

type Arrived = { readonly answer: ResponseEnvelope; readonly at: number }
type Waiter = { resolve: (a: Arrived) => void; reject: (e: Error) => void }

/**
 * The monotonic clock in ms. Not `performance.now()`: the global `performance` loads perf_hooks,
 * a few % of a hookctl run (issue 13) for a figure only the benchmarks read (lastArrivalMs).
 */
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6

export class FramedClient {
  private readonly decoder: FrameDecoder
  private readonly queue: Arrived[] = []
  private waiter: Waiter | undefined
  private failure: Error | undefined
  private nextId = 1
  /** Resolves once the socket has closed (whoever closed it). */
  readonly closed: Promise<void>
  private lastArrivalMonotonicMs = 0
  /** When the last answer `next` returned was read off the socket (epoch ms, sub-ms precision). */
  get lastArrivalMs(): number {
    // Both clocks are libuv's hrtime: the epoch of a past monotonic moment, converted when asked.
    return performance.timeOrigin + performance.now() - (monotonicMs() - this.lastArrivalMonotonicMs)
  }

  static async connect(path: string, options: ConnectOptions = {}): Promise<FramedClient> {
    return new FramedClient(await openSocket(path, options.timeoutMs), path, options.maxFrameBytes)
  }

  constructor(
    readonly socket: ClientSocket,
    private readonly path: string,
    maxFrameBytes: number = MAX_FRAME_BYTES
  ) {
    this.decoder = new FrameDecoder(maxFrameBytes)
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("error", (e) => this.fail(new ConnectionFailed("lost", `connection to hookd lost: ${e.message}`)))
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.fail(new ConnectionFailed("closed", `hookd closed the connection (${this.path})`))
        resolve()
      })
    )
  }

  /** Sends a request and returns its id (`extra` fields override the envelope's, e.g. a wrong `v`). */
  send<N extends RequestName>(req: N, payload: RequestPayloads[N], extra: Record<string, unknown> = {}): string {
    if (this.failure) throw this.failure
    const id = String(this.nextId++)
    this.socket.write(encodeFrame({ v: PROTOCOL_VERSION, id, req, payload, ...extra }))
    return id
  }

  /** Writes bytes as they are (a test's malformed frame); resolves once written. */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(error) : resolve())))
  }

  /** Frames any JSON value, envelope or not; resolves once written. */
  sendFrame(value: unknown): Promise<void> {
    return this.write(encodeFrame(value))
  }

  /**
   * The next answer — with `id`, the next one carrying that id or none (answers to other ids are dropped).
   * Answers received before a failure are still delivered; then it rejects with the failure. A `timeoutMs`
   * that passes fails the whole connection: a late answer would no longer match anything.
   */
  async next(options: { readonly id?: string; readonly timeoutMs?: number; readonly what?: string } = {}): Promise<ResponseEnvelope> {
    const { id, timeoutMs } = options
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            const what = options.what ?? "the request"
            this.fail(new ConnectionFailed("timeout", `hookd did not answer ${what} within ${Math.round(timeoutMs / 1000)}s`))
          }, timeoutMs)
    try {
      for (;;) {
        const { answer, at } = await this.take()
        if (id !== undefined && answer.id !== undefined && answer.id !== id) continue
        this.lastArrivalMonotonicMs = at
        return answer
      }
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends one request and returns its first answer (an `Error` answer is returned, not thrown). */
  request<N extends RequestName>(req: N, payload: RequestPayloads[N], timeoutMs?: number): Promise<ResponseEnvelope> {
    return this.next({ id: this.send(req, payload), timeoutMs, what: req })
  }

  /**
   * A streaming request: every answer up to and including `StreamEnd` or an `Error`. `firstAnswerTimeoutMs`
   * bounds the wait for the first answer only (a follow may then last hours).
   */
  async *stream<N extends RequestName>(
    req: N,
    payload: RequestPayloads[N],
    options: { readonly firstAnswerTimeoutMs?: number } = {}
  ): AsyncGenerator<ResponseEnvelope> {
    const id = this.send(req, payload)
    let timeoutMs = options.firstAnswerTimeoutMs
    for (;;) {
      const answer = await this.next({ id, timeoutMs, what: req })
      timeoutMs = undefined
      yield answer
      if (answer.kind === "StreamEnd" || answer.kind === "Error") return
    }
  }

  /** The answers to an already sent request up to and including `StreamEnd` or an `Error`. */
  async collect(): Promise<ResponseEnvelope[]> {
    const out: ResponseEnvelope[] = []
    for (;;) {
      const answer = await this.next()
      out.push(answer)
      if (answer.kind === "StreamEnd" || answer.kind === "Error") return out
    }
  }

  /** Stops reading: drops buffered answers, destroys the socket; waiting and later reads reject with `error`. */
  abort(error: Error): void {
    this.fail(error, true)
  }

  close(): void {
    this.fail(new ConnectionFailed("closed", "the connection was closed by this side"))
    this.socket.end()
    this.socket.destroy()
  }

  private take(): Promise<Arrived> {
    const queued = this.queue.shift()
    if (queued) {
      if (this.queue.length < HIGH_WATER_FRAMES / 2 && this.socket.isPaused()) this.socket.resume()
      return Promise.resolve(queued)
    }
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  private onData(chunk: Buffer): void {
    const at = monotonicMs()
    try {
      for (const body of this.decoder.push(chunk)) this.deliver({ answer: parseFrameBody(body) as unknown as ResponseEnvelope, at })
    } catch (e) {
      return this.fail(new ConnectionFailed("bad-answer", `bad answer from hookd: ${(e as Error).message}`), true)
    }
    if (this.queue.length >= HIGH_WATER_FRAMES) this.socket.pause()
  }

  private deliver(arrived: Arrived): void {
    const waiter = this.waiter
    if (waiter) {
      this.waiter = undefined
      waiter.resolve(arrived)
    } else {
      this.queue.push(arrived)
    }
  }

  /** Records the first failure; answers already received are still delivered before it (unless `destroy`). */
  private fail(error: Error, destroy = false): void {
    if (!this.failure) this.failure = error
    if (destroy) {
      this.queue.length = 0
      this.socket.destroy()
    }
    const waiter = this.waiter
    if (waiter) {
      this.waiter = undefined
      waiter.reject(this.failure)
    }
  }
}
