// A client connection to the supervisor's Unix socket without node:net (issue 13: hookctl status/ls).
// Loading node:net and its streams costs a hookctl run ~1.6 ms of module loading and ~2 ms more of
// Socket/stream machinery (connect, write, destroy) — a fifth of `node -e 0` — where libuv's pipe
// handle, which node:net itself wraps, is there for 0.1 ms through process.binding("pipe_wrap").
//
// That binding is Node's internal API (DEP0111: documentation-only, warns with --pending-deprecation),
// so it is used only where it was verified — Node 20, no pending deprecation, no opt-out
// (HOOKD_RAW_PIPE=0), every expected export present — and only for the happy path: a connect that
// does not succeed at once is not reported from here but made again through node:net by the caller
// (protocol/client.ts openSocket), so every failure reads exactly as it always did.
//
// RawPipeSocket implements the part of net.Socket that FramedClient and hookctl's Connection use
// (ClientSocket): 'data', 'error' and 'close' events in net's order, write with a callback, cork
// (one write for the corked frames, as net's writev), pause/resume, end and destroy.
// Effect-free: hookctl loads it.
import { EventEmitter } from "node:events"
import { nodeUtil } from "./builtins"

/** What FramedClient and hookctl's Connection need of a socket: a structural subset of net.Socket. */
export interface ClientSocket {
  on(event: "data", listener: (chunk: Buffer) => void): this
  on(event: "error", listener: (error: Error) => void): this
  once(event: "close", listener: () => void): this
  write(bytes: Uint8Array, callback?: (error?: Error | null) => void): boolean
  cork(): void
  uncork(): void
  pause(): this
  resume(): this
  isPaused(): boolean
  end(): this
  destroy(): this
}

interface PipeHandle {
  connect(req: object, path: string): number
  readStart(): number
  readStop(): number
  writeBuffer(req: object, data: Uint8Array): number
  shutdown(req: object): number
  close(callback: () => void): void
  onread: (arrayBuffer: ArrayBuffer | undefined) => void
}

interface Bindings {
  readonly newPipe: () => PipeHandle
  readonly PipeConnectWrap: new () => { oncomplete?: (status: number) => void }
  readonly WriteWrap: new () => { handle?: PipeHandle; oncomplete?: (status: number) => void; buffer?: Uint8Array }
  readonly ShutdownWrap: new () => { handle?: PipeHandle; oncomplete?: (status: number) => void }
  readonly state: Int32Array
  readonly kReadBytesOrError: number
  readonly kArrayBufferOffset: number
  readonly kLastWriteWasAsync: number
  readonly EOF: number
}

type Env = Readonly<Record<string, string | undefined>>
type WriteCallback = (error?: Error | null) => void

/** The Node major versions whose pipe_wrap/stream_wrap this was written against and tested on. */
const VERIFIED_NODE_MAJORS: ReadonlySet<number> = new Set([20])

const PENDING_DEPRECATION = /(^|\s)--pending-deprecation(\s|=|$)/

/**
 * Whether the raw pipe may be tried: Node 20 on a Unix, HOOKD_RAW_PIPE not 0, and no pending
 * deprecation (with it process.binding() prints a DeprecationWarning: output would change).
 */
export const rawPipeAllowed = (
  env: Env = process.env,
  versions: { readonly node: string } = process.versions,
  execArgv: ReadonlyArray<string> = process.execArgv,
  platform: NodeJS.Platform = process.platform
): boolean =>
  env.HOOKD_RAW_PIPE !== "0" &&
  platform !== "win32" &&
  VERIFIED_NODE_MAJORS.has(Number(versions.node.split(".")[0])) &&
  env.NODE_PENDING_DEPRECATION !== "1" &&
  !PENDING_DEPRECATION.test(env.NODE_OPTIONS ?? "") &&
  !execArgv.some((arg) => PENDING_DEPRECATION.test(arg))

let ttyWrap: { readonly isTTY: (fd: number) => unknown } | null | undefined

/**
 * Whether `fd` is a terminal, as node:tty's isatty would say (libuv's guess, tty_wrap.isTTY) without
 * loading node:tty — which loads node:net. Undefined where the raw pipe is not allowed or the
 * binding is not as expected: the caller then asks process.stdout/stderr, as before.
 */
export const fdIsTTY = (fd: number, env: Env = process.env): boolean | undefined => {
  if (!rawPipeAllowed(env)) return undefined
  if (ttyWrap === undefined) {
    try {
      const binding = (process as unknown as { binding: (name: string) => { isTTY?: unknown } }).binding("tty_wrap")
      ttyWrap = typeof binding.isTTY === "function" ? (binding as { isTTY: (fd: number) => unknown }) : null
    } catch {
      ttyWrap = null
    }
  }
  if (ttyWrap === null) return undefined
  try {
    const tty = ttyWrap.isTTY(fd)
    return typeof tty === "boolean" ? tty : undefined
  } catch {
    return undefined
  }
}

let loaded: Bindings | null | undefined

/** The bindings, once; null when anything about them is not as expected. */
const bindings = (): Bindings | null => {
  if (loaded !== undefined) return loaded
  loaded = null
  try {
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding
    if (typeof binding !== "function") return null
    const pipe = binding("pipe_wrap") as { Pipe?: unknown; PipeConnectWrap?: unknown; constants?: { SOCKET?: unknown } }
    const stream = binding("stream_wrap") as Record<string, unknown>
    const uv = binding("uv") as { UV_EOF?: unknown }
    const { Pipe, PipeConnectWrap, constants } = pipe
    const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = stream
    const numbers = [constants?.SOCKET, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync, uv.UV_EOF]
    if (
      typeof Pipe !== "function" ||
      typeof PipeConnectWrap !== "function" ||
      typeof WriteWrap !== "function" ||
      typeof ShutdownWrap !== "function" ||
      !(streamBaseState instanceof Int32Array) ||
      !numbers.every((n) => typeof n === "number")
    ) {
      return null
    }
    const socketType = constants!.SOCKET as number
    const PipeClass = Pipe as new (type: number) => PipeHandle
    loaded = {
      newPipe: () => new PipeClass(socketType),
      PipeConnectWrap: PipeConnectWrap as Bindings["PipeConnectWrap"],
      WriteWrap: WriteWrap as Bindings["WriteWrap"],
      ShutdownWrap: ShutdownWrap as Bindings["ShutdownWrap"],
      state: streamBaseState,
      kReadBytesOrError: kReadBytesOrError as number,
      kArrayBufferOffset: kArrayBufferOffset as number,
      kLastWriteWasAsync: kLastWriteWasAsync as number,
      EOF: uv.UV_EOF as number
    }
  } catch {
    loaded = null
  }
  return loaded
}

/** `read ECONNRESET`, as node:net's ErrnoException words a failed read or write. */
const errnoError = (status: number, syscall: string): Error => {
  const code = nodeUtil().getSystemErrorName(status)
  return Object.assign(new Error(`${syscall} ${code}`), { errno: status, code, syscall })
}

/** A connected pipe handle as the part of net.Socket hookctl uses (see ClientSocket). */
export class RawPipeSocket extends EventEmitter implements ClientSocket {
  /** Writes held back by cork() (nested, as net's): one write for all of them at the last uncork(). */
  private corks = 0
  private corked: Array<{ readonly bytes: Uint8Array; readonly callback?: WriteCallback }> = []
  private paused = false
  private destroyed = false
  private ended = false

  constructor(
    private readonly handle: PipeHandle,
    private readonly b: Bindings
  ) {
    super()
    handle.onread = (arrayBuffer) => this.onRead(arrayBuffer)
    const err = handle.readStart()
    // After this turn: the caller attaches its 'error' listener first (as net's afterConnect read).
    if (err !== 0) setImmediate(() => this.destroyWith(errnoError(err, "read")))
  }

  write(bytes: Uint8Array, callback?: WriteCallback): boolean {
    if (this.corks > 0) this.corked.push({ bytes, callback })
    else this.send(bytes, callback === undefined ? [] : [callback])
    return true
  }

  cork(): void {
    this.corks++
  }

  uncork(): void {
    if (this.corks === 0 || --this.corks > 0) return
    this.flushCorked()
  }

  pause(): this {
    if (!this.paused && !this.destroyed) this.handle.readStop()
    this.paused = true
    return this
  }

  resume(): this {
    if (this.paused && !this.destroyed) this.handle.readStart()
    this.paused = false
    return this
  }

  isPaused(): boolean {
    return this.paused
  }

  /** Half-closes once the writes so far are out (net's end); destroy() still closes at once. */
  end(): this {
    if (this.destroyed || this.ended) return this
    this.ended = true
    this.corks = 0
    this.flushCorked()
    const req = new this.b.ShutdownWrap()
    req.handle = this.handle
    req.oncomplete = () => undefined
    this.handle.shutdown(req)
    return this
  }

  destroy(): this {
    if (this.destroyed) return this
    this.destroyed = true
    this.corked = []
    this.handle.onread = () => undefined // must stay a function (node checks it natively)
    this.handle.close(() => this.emit("close"))
    return this
  }

  private flushCorked(): void {
    const corked = this.corked
    if (corked.length === 0) return
    this.corked = []
    const bytes = corked.length === 1 ? corked[0]!.bytes : Buffer.concat(corked.map((c) => c.bytes))
    this.send(
      bytes,
      corked.flatMap((c) => (c.callback === undefined ? [] : [c.callback]))
    )
  }

  private send(bytes: Uint8Array, callbacks: ReadonlyArray<WriteCallback>): void {
    if (this.destroyed) {
      const error = Object.assign(new Error("Cannot call write after a stream was destroyed"), { code: "ERR_STREAM_DESTROYED" })
      for (const callback of callbacks) process.nextTick(callback, error)
      return
    }
    const req = new this.b.WriteWrap()
    req.handle = this.handle
    req.buffer = bytes // kept alive until libuv has written it
    req.oncomplete = (status) => this.afterWrite(status, callbacks)
    const err = this.handle.writeBuffer(req, bytes)
    if (err !== 0) this.afterWrite(err, callbacks)
    else if (this.b.state[this.b.kLastWriteWasAsync] === 0) this.afterWrite(0, callbacks)
  }

  private afterWrite(status: number, callbacks: ReadonlyArray<WriteCallback>): void {
    const error = status === 0 ? null : errnoError(status, "write")
    for (const callback of callbacks) process.nextTick(callback, error)
    if (error !== null) process.nextTick(() => this.destroyWith(error))
  }

  private onRead(arrayBuffer: ArrayBuffer | undefined): void {
    const nread = this.b.state[this.b.kReadBytesOrError]!
    if (this.destroyed) return
    if (nread > 0 && arrayBuffer !== undefined) {
      this.emit("data", Buffer.from(arrayBuffer, this.b.state[this.b.kArrayBufferOffset]!, nread))
      return
    }
    if (nread === 0) return
    // The peer closed (EOF) or the read failed: net emits 'error' (not for EOF), then 'close'.
    if (nread === this.b.EOF) this.destroy()
    else this.destroyWith(errnoError(nread, "read"))
  }

  private destroyWith(error: Error): void {
    if (this.destroyed) return
    this.emit("error", error)
    this.destroy()
  }
}

/**
 * Connects to `path` through libuv's pipe handle. Resolves the connected socket; resolves undefined
 * when the raw pipe is not allowed or not available here, or the connect failed or threw (the
 * caller then connects through node:net, which reports any failure in its own words); rejects only
 * with `onTimeout()`'s error when the connect took longer than `timeoutMs`.
 */
export const connectRawPipe = (path: string, timeoutMs: number, onTimeout: () => Error, env: Env = process.env): Promise<ClientSocket | undefined> => {
  if (!rawPipeAllowed(env)) return Promise.resolve(undefined)
  const b = bindings()
  if (b === null) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    let handle: PipeHandle | undefined
    const giveUp = () => {
      handle?.close(() => undefined)
      resolve(undefined)
    }
    try {
      const pipe = (handle = b.newPipe())
      const req = new b.PipeConnectWrap()
      const timer = setTimeout(() => {
        req.oncomplete = undefined
        pipe.close(() => undefined)
        reject(onTimeout())
      }, timeoutMs)
      req.oncomplete = (status) => {
        clearTimeout(timer)
        if (status !== 0) return giveUp()
        try {
          resolve(new RawPipeSocket(pipe, b))
        } catch {
          giveUp()
        }
      }
      const err = pipe.connect(req, path)
      if (err !== 0) {
        clearTimeout(timer)
        giveUp()
      }
    } catch {
      giveUp()
    }
  })
}
