// The supervisor's first stage (issue 13, start-up): run by the loader (dist/hookd.mjs) before the
// supervisor's bundle, which takes ~100 ms to load. It takes the singleton lock, binds the socket (or
// takes the socket-activated fd), and answers every well-formed Hello itself — the Welcome holds only
// what is known before any layer is built (version, pid, start time, state dir, formats), exactly as
// the supervisor would answer it. Any other frame stops that connection's reading until the
// supervisor has loaded and claims the listening server and its connections (first-stage-link.ts).
// Anything unusual — another supervisor holds the lock, a socket path to refuse, a usage error,
// another platform — and the first stage undoes what it took and lets the supervisor do it all
// itself, with its own messages: the first stage only ever makes the start faster, never different.
// Effect-free and small: it runs before the bundle is compiled.
import * as fs from "node:fs"
import * as net from "node:net"
import { encodeFrame, parseFrameBody } from "../protocol/framing"
import { MAX_FRAME_BYTES, response, SUPPORTED_PROTOCOL_VERSIONS } from "../protocol/types"
import { readSettings, type SupervisorSettings } from "../settings/read-settings"
import { publishFirstStageLink, type FirstStageListener } from "./first-stage-link"
import { listenOnLockName } from "./lock-socket"
import { canonicalStateDir, singletonLockNameFor } from "./singleton-name"
import { takeActivationFd } from "./socket-activation"
import { welcomeOf } from "./welcome"
import { prepareSocketPathSync } from "./socket-path-steps"

/**
 * With no request waiting, the bundle loads this long after the socket is bound: the client that
 * started us (hookctl's autostart, a benchmark, systemd's queued connection) connects meanwhile and
 * is answered before the ~100 ms the load blocks for. A request the first stage cannot answer, or
 * its first answer, starts the load at once.
 */
export const FIRST_STAGE_WAIT_MS = 50

const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const
const EMPTY = Buffer.alloc(0)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The Welcome frame for a request body that is a well-formed Hello of a supported version, exactly
 * as the supervisor's codec and handler answer it; undefined for anything else (the supervisor
 * answers those, including every malformed frame).
 */
export const welcomeFrameFor = (body: Buffer, settings: SupervisorSettings, pid: number): Buffer | undefined => {
  let raw: Record<string, unknown>
  try {
    raw = parseFrameBody(body) // the supervisor's own parsing: what it refuses (BAD_FRAME) is left to it
  } catch {
    return undefined
  }
  if (raw.req !== "Hello" || typeof raw.v !== "number" || !SUPPORTED_PROTOCOL_VERSIONS.includes(raw.v)) return undefined
  if (raw.id !== undefined && typeof raw.id !== "string") return undefined
  const payload = raw.payload
  if (!isObject(payload) || typeof payload.client !== "string" || typeof payload.client_version !== "string") return undefined
  try {
    return encodeFrame(response("Welcome", welcomeOf(settings, pid), raw.id))
  } catch {
    return undefined // an id so long the Welcome would pass the frame cap: the supervisor answers that
  }
}

interface Held {
  readonly settings: SupervisorSettings
  readonly lock: net.Server
  readonly activationFd: number | undefined
}

/** Listens like the socket server does: a path socket is created 0600 (umask during bind(), then chmod). */
const listenFor = (server: net.Server, held: Held, done: (ok: boolean) => void): void => {
  const fail = () => done(false)
  server.once("error", fail)
  server.once("listening", () => {
    server.off("error", fail)
    if (held.activationFd !== undefined) return done(true)
    try {
      fs.chmodSync(held.settings.socketPath, 0o600)
      done(true)
    } catch {
      done(false)
    }
  })
  try {
    if (held.activationFd !== undefined) server.listen({ fd: held.activationFd })
    else {
      const previous = process.umask(0o177)
      try {
        server.listen({ path: held.settings.socketPath })
      } finally {
        process.umask(previous)
      }
    }
  } catch {
    server.off("error", fail)
    done(false)
  }
}

/** Serves Hellos on the bound socket until the supervisor claims it; publishes the hand-over. */
const serveHellos = (server: net.Server, held: Held, load: () => void): void => {
  /** Connections not handed over yet, with the bytes read from each and not answered. */
  const unread = new Map<net.Socket, Buffer>()
  let answered = 0
  let claimed = false
  let released = false
  let signal: NodeJS.Signals | undefined
  let loading = false
  let adopted = false
  const startLoading = () => {
    if (loading) return
    loading = true
    clearTimeout(timer)
    // After the current I/O: a Welcome just written reaches the kernel, other ready sockets are read.
    setImmediate(() => {
      load()
      if (!adopted) release()
    })
  }
  const timer = setTimeout(startLoading, FIRST_STAGE_WAIT_MS)

  const onSignal = (received: NodeJS.Signals) => {
    signal ??= received
    startLoading()
  }
  for (const s of SIGNALS) process.on(s, onSignal)
  const stopSignals = () => SIGNALS.forEach((s) => process.off(s, onSignal))

  const onClose = function (this: net.Socket) {
    unread.delete(this)
  }
  const onData = function (this: net.Socket, chunk: Buffer) {
    let bytes = Buffer.concat([unread.get(this) ?? EMPTY, chunk])
    let answeredHere = false
    for (;;) {
      if (bytes.length < 4) break
      const length = bytes.readUInt32BE(0)
      const complete = length > 0 && length <= MAX_FRAME_BYTES && bytes.length >= 4 + length
      // Once a signal came, requests are the supervisor's to answer (BUSY while it drains).
      const welcome = complete && signal === undefined ? welcomeFrameFor(bytes.subarray(4, 4 + length), held.settings, process.pid) : undefined
      if (welcome === undefined) {
        if (complete || length === 0 || length > MAX_FRAME_BYTES) {
          // Not ours to answer: the rest waits, unread, for the supervisor.
          this.pause()
          this.off("data", onData)
          startLoading()
        }
        break
      }
      this.write(welcome)
      answered++
      answeredHere = true
      bytes = bytes.subarray(4 + length)
    }
    unread.set(this, bytes)
    if (answeredHere) startLoading()
  }
  const onConnection = (socket: net.Socket) => {
    socket.on("error", () => {})
    unread.set(socket, EMPTY)
    socket.once("close", onClose)
    socket.on("data", onData)
  }
  server.on("connection", onConnection)
  // An accept error (EMFILE…) must not crash the process before the supervisor's handler is there.
  const onServerError = () => {}
  server.on("error", onServerError)

  const claim = (): FirstStageListener => {
    claimed = true
    server.off("connection", onConnection)
    server.off("error", onServerError)
    const connections: Array<net.Socket> = []
    for (const [socket, bytes] of unread) {
      socket.off("data", onData)
      socket.off("close", onClose)
      // Paused until the supervisor's socket server reads it (it resumes the socket).
      socket.pause()
      if (bytes.length > 0) socket.unshift(bytes)
      connections.push(socket)
    }
    unread.clear()
    return { server, connections }
  }
  const release = () => {
    if (released) return
    released = true
    clearTimeout(timer)
    stopSignals()
    // The supervisor stopped before it served: close what it never took over.
    if (!claimed) {
      for (const socket of claim().connections) socket.destroy()
      server.close()
    }
    held.lock.close()
  }
  publishFirstStageLink({
    settings: held.settings,
    activationFd: held.activationFd,
    adopt: () => {
      adopted = true
    },
    answered: () => answered,
    claim,
    takeSignal: () => {
      stopSignals()
      return signal
    },
    release
  })
}

/**
 * Runs the first stage, then `load` (the supervisor's bundle): at once when the first stage cannot
 * serve (it then leaves everything as it found it), else once a client needs more than a Welcome.
 */
export const runFirstStage = (options: {
  readonly argv: ReadonlyArray<string>
  readonly env: NodeJS.ProcessEnv
  readonly version: string
  readonly load: () => void
}): void => {
  const { argv, env, load } = options
  // --help, --version and usage errors are the supervisor's to print; the lock file of other platforms too.
  if (process.platform !== "linux" || argv.some((a) => a === "--help" || a === "-h" || a === "--version")) return load()
  let settings: SupervisorSettings
  let lockName: string
  try {
    settings = readSettings(argv, env, options.version)
    fs.mkdirSync(settings.stateDir, { recursive: true, mode: 0o700 })
    lockName = singletonLockNameFor(canonicalStateDir(settings.stateDir))
  } catch {
    return load()
  }
  listenOnLockName(lockName, (taken) => {
    // Held by another supervisor (or a squatter), or a starter replaced the name meanwhile: the supervisor decides.
    if (taken._tag !== "Listening") return load()
    const lock = taken.server
    let sameName = false
    try {
      sameName = singletonLockNameFor(canonicalStateDir(settings.stateDir)) === lockName
    } catch {
      // the supervisor reports it
    }
    if (!sameName) return lock.close(), load()
    // Taken (and removed from the environment) before any job could inherit the variables.
    const activationFd = takeActivationFd(env)
    if (activationFd === undefined && prepareSocketPathSync(settings.socketPath) !== undefined) return lock.close(), load()
    const held: Held = { settings, lock, activationFd }
    const server = net.createServer({ allowHalfOpen: false })
    listenFor(server, held, (ok) => {
      if (ok) return serveHellos(server, held, load)
      server.close()
      lock.close()
      // Put the activation back for the supervisor, which reports why it cannot listen on it.
      if (activationFd !== undefined) Object.assign(env, { LISTEN_FDS: "1", LISTEN_PID: String(process.pid) })
      load()
    })
  })
}
