// hookctl's connection to the supervisor: the protocol's framed client (protocol/client.ts) with hookctl's
// errors — an `Error` answer throws ServerError, a broken or silent connection UnreachableError (exit 3) —
// and Ctrl-C, which closes the socket: that is how the supervisor learns to end a tail.
// With a greeting, the first request goes out in one write behind a `Hello` (no extra round trip); the
// supervisor answers requests in order, so its `Welcome` arrives first and is handed to `onWelcome`.
import type { Socket } from "node:net"
import { ConnectionFailed, FramedClient } from "../protocol/client"
import type { RequestName, RequestPayloads, ResponseEnvelope, ResponseKind, ResponsePayloads } from "../protocol/types"
import { InterruptedError, ServerError, UnreachableError } from "./errors"

/** Long enough for a prune of a big repo, short enough that a wedged supervisor does not hang a shell. */
export const UNARY_TIMEOUT_MS = 30_000

export interface Greeting {
  readonly hello: RequestPayloads["Hello"]
  readonly onWelcome: (welcome: ResponsePayloads["Welcome"]) => void
}

const asClientError = (e: unknown): unknown => (e instanceof ConnectionFailed ? new UnreachableError(e.message) : e)

export class Connection {
  private readonly client: FramedClient
  /** The id of the Hello sent with the first request, until its answer has been read. */
  private helloId: string | undefined
  private greeted = false

  constructor(
    socket: Socket,
    path: string,
    private readonly greeting?: Greeting
  ) {
    this.client = new FramedClient(socket, path)
  }

  /** Sends a request (behind the Hello, in the same write, the first time) and returns its id. */
  private send<N extends RequestName>(req: N, payload: RequestPayloads[N]): string {
    if (this.greeting === undefined || this.greeted) return this.client.send(req, payload)
    this.greeted = true
    const socket = this.client.socket
    socket.cork()
    try {
      this.helloId = this.client.send("Hello", this.greeting.hello)
      return this.client.send(req, payload)
    } finally {
      socket.uncork()
    }
  }

  /** The next answer to `id`; the Welcome on the way is passed to the greeting (an Error to Hello is ignored). */
  private async answerTo(id: string, timeoutMs: number | undefined, what: string): Promise<ResponseEnvelope> {
    for (;;) {
      const answer = await this.client.next({ timeoutMs, what })
      if (this.helloId !== undefined && answer.id === this.helloId) {
        this.helloId = undefined
        if (answer.kind === "Welcome") this.greeting?.onWelcome(answer.payload)
        continue
      }
      if (answer.id === undefined || answer.id === id) return answer
    }
  }

  /** Sends one request and returns its single answer; an `Error` answer throws ServerError. */
  async request<N extends RequestName>(req: N, payload: RequestPayloads[N], timeoutMs: number = UNARY_TIMEOUT_MS): Promise<ResponseEnvelope> {
    try {
      return throwIfError(await this.answerTo(this.send(req, payload), timeoutMs, req))
    } catch (e) {
      throw asClientError(e)
    }
  }

  /**
   * A streaming request: every answer up to and including `StreamEnd` (an `Error` answer throws).
   * `firstAnswerTimeoutMs` bounds the wait for the first answer (a frozen supervisor must not hang a
   * git hook forever); the stream itself may then run as long as it needs.
   */
  async *stream<N extends RequestName>(
    req: N,
    payload: RequestPayloads[N],
    options: { readonly firstAnswerTimeoutMs?: number } = {}
  ): AsyncGenerator<ResponseEnvelope> {
    const onSigint = () => this.client.abort(new InterruptedError())
    process.once("SIGINT", onSigint)
    try {
      const id = this.send(req, payload)
      let timeoutMs = options.firstAnswerTimeoutMs
      for (;;) {
        const answer = throwIfError(await this.answerTo(id, timeoutMs, req))
        timeoutMs = undefined
        yield answer
        if (answer.kind === "StreamEnd") return
      }
    } catch (e) {
      throw asClientError(e)
    } finally {
      process.removeListener("SIGINT", onSigint)
    }
  }

  close(): void {
    this.client.close()
  }
}

const throwIfError = (answer: ResponseEnvelope): ResponseEnvelope => {
  if (answer.kind === "Error") {
    const { code, message, details } = answer.payload
    throw new ServerError(code, message, details)
  }
  return answer
}

/** Narrows an answer to the kind the request promises, or explains what came instead. */
export const expectKind = <K extends ResponseKind>(answer: ResponseEnvelope, kind: K): ResponsePayloads[K] => {
  if (answer.kind !== kind) {
    throw new UnreachableError(`unexpected answer from hookd: ${answer.kind} (expected ${kind})`)
  }
  return answer.payload as ResponsePayloads[K]
}
