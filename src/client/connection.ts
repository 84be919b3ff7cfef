// One socket to the supervisor: envelopes with ids out, frames in (SPEC §2).
// Plain node:net — the client must never load `effect` (startup cost, SPEC §10).
import { connect as netConnect, type Socket } from "node:net"
import { FrameDecoder, encodeFrame, parseFrameBody } from "../protocol/framing"
import {
  PROTOCOL_VERSION,
  type RequestName,
  type RequestPayloads,
  type ResponseEnvelope,
  type ResponseKind,
  type ResponsePayloads
} from "../protocol/types"
import { InterruptedError, ServerError, UnreachableError } from "./errors"

/** Long enough for a prune of a big repo, short enough that a wedged supervisor does not hang a shell. */
export const UNARY_TIMEOUT_MS = 30_000
const CONNECT_TIMEOUT_MS = 5_000
/** Frames buffered ahead of a slow consumer before the socket is paused (backpressure). */
const HIGH_WATER_FRAMES = 256

/** The errno of a failed connect, e.g. ENOENT (no socket file) or ECONNREFUSED (stale socket). */
export class ConnectError extends Error {
  constructor(
    readonly path: string,
    readonly errno: string,
    message: string
  ) {
    super(message)
  }
}

export const openSocket = (path: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = netConnect({ path })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new ConnectError(path, "ETIMEDOUT", `connecting to ${path} timed out`))
    }, CONNECT_TIMEOUT_MS)
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

type AnyResponse = ResponseEnvelope
type Waiter = { resolve: (r: AnyResponse) => void; reject: (e: Error) => void }

export class Connection {
  private readonly decoder = new FrameDecoder()
  private readonly queue: AnyResponse[] = []
  private waiter: Waiter | undefined
  private failure: Error | undefined
  private nextId = 1

  constructor(
    private readonly socket: Socket,
    private readonly path: string
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("error", (e) => this.fail(new UnreachableError(`connection to hookd lost: ${e.message}`)))
    socket.on("close", () => this.fail(new UnreachableError(`hookd closed the connection (${this.path})`)))
  }

  /** Sends one request and returns its single answer; an `Error` answer throws ServerError. */
  async request<N extends RequestName>(
    req: N,
    payload: RequestPayloads[N],
    timeoutMs: number = UNARY_TIMEOUT_MS
  ): Promise<AnyResponse> {
    const id = this.send(req, payload)
    const timer = setTimeout(
      () => this.fail(new UnreachableError(`hookd did not answer ${req} within ${Math.round(timeoutMs / 1000)}s`)),
      timeoutMs
    )
    try {
      return throwIfError(await this.next(id))
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Sends a streaming request and yields every answer up to and including `StreamEnd`
   * (an `Error` answer throws). No timeout: a follow may legitimately last hours.
   * Ctrl-C destroys the socket, which is how the supervisor learns to end the tail.
   */
  /**
   * A streaming request. `firstAnswerTimeoutMs` bounds the wait for the first answer (a frozen
   * supervisor must not hang a git hook forever); the stream itself may then run as long as it needs.
   */
  async *stream<N extends RequestName>(
    req: N,
    payload: RequestPayloads[N],
    options: { readonly firstAnswerTimeoutMs?: number } = {}
  ): AsyncGenerator<AnyResponse> {
    const onSigint = () => this.fail(new InterruptedError(), true)
    process.once("SIGINT", onSigint)
    const limit = options.firstAnswerTimeoutMs
    let timer: NodeJS.Timeout | undefined =
      limit === undefined
        ? undefined
        : setTimeout(
            () => this.fail(new UnreachableError(`hookd did not answer ${req} within ${Math.round(limit / 1000)}s`)),
            limit
          )
    try {
      const id = this.send(req, payload)
      for (;;) {
        const answer = throwIfError(await this.next(id))
        clearTimeout(timer)
        timer = undefined
        yield answer
        if (answer.kind === "StreamEnd") return
      }
    } finally {
      clearTimeout(timer)
      process.removeListener("SIGINT", onSigint)
    }
  }

  close(): void {
    this.socket.removeAllListeners("close")
    this.socket.end()
    this.socket.destroy()
  }

  private send<N extends RequestName>(req: N, payload: RequestPayloads[N]): string {
    if (this.failure) throw this.failure
    const id = String(this.nextId++)
    this.socket.write(encodeFrame({ v: PROTOCOL_VERSION, id, req, payload }))
    return id
  }

  /** The next answer carrying `id` (answers with another id belong to nobody and are dropped). */
  private async next(id: string): Promise<AnyResponse> {
    for (;;) {
      const answer = await this.take()
      if (answer.id === undefined || answer.id === id) return answer
    }
  }

  private take(): Promise<AnyResponse> {
    const queued = this.queue.shift()
    if (queued) {
      if (this.queue.length < HIGH_WATER_FRAMES / 2 && this.socket.isPaused()) this.socket.resume()
      return Promise.resolve(queued)
    }
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }))
  }

  private onData(chunk: Buffer): void {
    let bodies: Buffer[]
    try {
      bodies = this.decoder.push(chunk)
    } catch (e) {
      return this.fail(new UnreachableError(`bad answer from hookd: ${(e as Error).message}`), true)
    }
    for (const body of bodies) {
      let answer: AnyResponse
      try {
        answer = parseFrameBody(body) as unknown as AnyResponse
      } catch (e) {
        return this.fail(new UnreachableError(`bad answer from hookd: ${(e as Error).message}`), true)
      }
      const waiter = this.waiter
      if (waiter) {
        this.waiter = undefined
        waiter.resolve(answer)
      } else {
        this.queue.push(answer)
      }
    }
    if (this.queue.length >= HIGH_WATER_FRAMES) this.socket.pause()
  }

  /** Records the first failure; answers already received are still delivered before it. */
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

const throwIfError = (answer: AnyResponse): AnyResponse => {
  if (answer.kind === "Error") {
    const { code, message, details } = answer.payload
    throw new ServerError(code, message, details)
  }
  return answer
}

/** Narrows an answer to the kind the request promises, or explains what came instead. */
export const expectKind = <K extends ResponseKind>(answer: AnyResponse, kind: K): ResponsePayloads[K] => {
  if (answer.kind !== kind) {
    throw new UnreachableError(`unexpected answer from hookd: ${answer.kind} (expected ${kind})`)
  }
  return answer.payload as ResponsePayloads[K]
}
