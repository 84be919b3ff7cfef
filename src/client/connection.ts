// hookctl's connection to the supervisor: the protocol's framed client (protocol/client.ts) with hookctl's
// errors — an `Error` answer throws ServerError, a broken or silent connection UnreachableError (exit 3) —
// and Ctrl-C, which closes the socket: that is how the supervisor learns to end a tail.
import type { Socket } from "node:net"
import { ConnectionFailed, FramedClient } from "../protocol/client"
import type { RequestName, RequestPayloads, ResponseEnvelope, ResponseKind, ResponsePayloads } from "../protocol/types"
import { InterruptedError, ServerError, UnreachableError } from "./errors"

/** Long enough for a prune of a big repo, short enough that a wedged supervisor does not hang a shell. */
export const UNARY_TIMEOUT_MS = 30_000

const asClientError = (e: unknown): unknown => (e instanceof ConnectionFailed ? new UnreachableError(e.message) : e)

export class Connection {
  private readonly client: FramedClient

  constructor(socket: Socket, path: string) {
    this.client = new FramedClient(socket, path)
  }

  /** Sends one request and returns its single answer; an `Error` answer throws ServerError. */
  async request<N extends RequestName>(req: N, payload: RequestPayloads[N], timeoutMs: number = UNARY_TIMEOUT_MS): Promise<ResponseEnvelope> {
    try {
      return throwIfError(await this.client.request(req, payload, timeoutMs))
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
      for await (const answer of this.client.stream(req, payload, options)) yield throwIfError(answer)
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
