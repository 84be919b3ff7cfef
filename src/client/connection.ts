// hookctl's connection to the supervisor: the protocol's framed client (protocol/client.ts) with hookctl's
// errors — an `Error` answer throws ServerError, a broken or silent connection UnreachableError (exit 3) —
// and Ctrl-C, which closes the socket: that is how the supervisor learns to end a tail.
// With a greeting, the first request goes out in one write behind a `Hello` (no extra round trip); the
// supervisor answers requests in order, so its `Welcome` arrives first and is handed to `onWelcome`.
// A `BUSY` answer (too many connections, or a supervisor shutting down) means the request was not
// handled: it is sent again on a fresh connection, with backoff, for up to ~2 s (busy-retry.ts) before
// the BUSY is shown — a git hook must not fail because it arrived in a crowded moment.
import { ConnectionFailed, FramedClient, openSocket } from "../protocol/client"
import type { ClientSocket } from "../protocol/raw-pipe"
import type { RequestName, RequestPayloads, ResponseEnvelope, ResponseKind, ResponsePayloads } from "../protocol/types"
import { busyRetryBudgetMs, busyRetryDelayMs } from "./busy-retry"
import { InterruptedError, ServerError, UnreachableError } from "./errors"

/** Long enough for a prune of a big repo, short enough that a wedged supervisor does not hang a shell. */
export const UNARY_TIMEOUT_MS = 30_000

export interface Greeting {
  readonly hello: RequestPayloads["Hello"]
  readonly onWelcome: (welcome: ResponsePayloads["Welcome"]) => void
}

const asClientError = (e: unknown): unknown => (e instanceof ConnectionFailed ? new UnreachableError(e.message) : e)

const isBusy = (answer: ResponseEnvelope): boolean => answer.kind === "Error" && answer.payload.code === "BUSY"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export class Connection {
  private client: FramedClient
  /** The id of the Hello sent with the first request, until its answer has been read. */
  private helloId: string | undefined
  private greeted = false
  private welcomed = false
  private interrupted = false
  private readonly busyRetryMs = busyRetryBudgetMs(process.env)

  constructor(
    socket: ClientSocket,
    private readonly path: string,
    private readonly greeting?: Greeting,
    /** A fresh socket to the same supervisor, for a request answered BUSY (no autostart: the same door). */
    private readonly reopen: () => Promise<ClientSocket> = () => openSocket(path)
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
        if (answer.kind === "Welcome") {
          this.welcomed = true
          this.greeting?.onWelcome(answer.payload)
        }
        continue
      }
      if (answer.id === undefined || answer.id === id) return answer
    }
  }

  /**
   * Runs `attempt` (send a request, read its first answer) and, while that answer is BUSY and the
   * budget allows, reconnects after a backoff and runs it again. The BUSY that outlasts the budget
   * (or that a vanished supervisor leaves as the last word) is returned as it came.
   */
  private async untilNotBusy(attempt: () => Promise<ResponseEnvelope>): Promise<ResponseEnvelope> {
    let firstBusyAt: number | undefined
    for (let retry = 1; ; retry++) {
      const answer = await attempt()
      if (!isBusy(answer)) return answer
      firstBusyAt ??= Date.now()
      const delay = busyRetryDelayMs(retry, Date.now() - firstBusyAt, this.busyRetryMs, Math.random())
      if (delay === undefined) return answer
      // Leave at once: the slot this connection holds is what the crowd is waiting for.
      this.client.close()
      await sleep(delay)
      if (this.interrupted) throw new InterruptedError()
      if (!(await this.reconnect())) return answer
    }
  }

  /** Replaces the socket; false when nobody accepts any more (the supervisor has gone). */
  private async reconnect(): Promise<boolean> {
    let socket: ClientSocket
    try {
      socket = await this.reopen()
    } catch {
      return false
    }
    this.client = new FramedClient(socket, this.path)
    this.helloId = undefined
    // The handshake is owed until a Welcome came: a BUSY connection never gave one.
    if (!this.welcomed) this.greeted = false
    return true
  }

  /** Sends one request and returns its single answer; an `Error` answer throws ServerError. */
  async request<N extends RequestName>(req: N, payload: RequestPayloads[N], timeoutMs: number = UNARY_TIMEOUT_MS): Promise<ResponseEnvelope> {
    try {
      return throwIfError(await this.untilNotBusy(() => this.answerTo(this.send(req, payload), timeoutMs, req)))
    } catch (e) {
      throw asClientError(e)
    }
  }

  /**
   * Two requests in one write, and both answers: the supervisor answers a connection's requests in
   * turn, so the second costs no round trip of its own (issue 13: `ls` and its sweep footer). The
   * first is as `request` (BUSY retried, an `Error` thrown); the second's answer is returned as it
   * came, an `Error` included, or undefined when it could not be read — callers use it to inform.
   */
  async requestWithFollower<N extends RequestName, M extends RequestName>(
    first: { readonly req: N; readonly payload: RequestPayloads[N] },
    second: { readonly req: M; readonly payload: RequestPayloads[M] },
    timeoutMs: number = UNARY_TIMEOUT_MS
  ): Promise<{ readonly first: ResponseEnvelope; readonly second: ResponseEnvelope | undefined }> {
    let secondId = ""
    let answer: ResponseEnvelope
    try {
      answer = throwIfError(
        await this.untilNotBusy(() => {
          const socket = this.client.socket
          socket.cork()
          try {
            const id = this.send(first.req, first.payload)
            secondId = this.client.send(second.req, second.payload)
            return this.answerTo(id, timeoutMs, first.req)
          } finally {
            socket.uncork()
          }
        })
      )
    } catch (e) {
      throw asClientError(e)
    }
    const follower = await this.answerTo(secondId, timeoutMs, second.req).catch(() => undefined)
    return { first: answer, second: follower }
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
    const onSigint = () => {
      this.interrupted = true
      this.client.abort(new InterruptedError())
    }
    process.once("SIGINT", onSigint)
    try {
      let id = ""
      // Only the first answer can be BUSY (nothing was started yet); after it the stream is the stream.
      let answer = await this.untilNotBusy(() => {
        id = this.send(req, payload)
        return this.answerTo(id, options.firstAnswerTimeoutMs, req)
      })
      for (;;) {
        yield throwIfError(answer)
        if (answer.kind === "StreamEnd") return
        answer = await this.answerTo(id, undefined, req)
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
