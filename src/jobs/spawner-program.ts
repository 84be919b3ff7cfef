// The spawner's whole program (issue 13): a small, long-lived Node process that starts the jobs'
// shells for the supervisor. fork() copies the forking process's page tables, so spawning from the
// supervisor (hundreds of MB after a burst) cost ~3–18 ms of blocked event loop per job; this
// process stays at Node's floor and does nothing else.
//
// It runs as `node -e "(<this function's source>)(require)"`: CommonJS, nothing from this module's
// scope, and modules only through `load` (a bundler rewrites a bare `require`). Everything goes over
// the IPC channel (JSON), batched: each side sends what one turn of its event loop produced as one
// array (a lone object is one message too).
//
// Supervisor → here: {t: "run", id, script, cwd, env | set/unset, stdin} — `env` whole, or only what
// changed against the previous run's environment on this channel (`set`, `unset`: consecutive jobs
// of one invocation differ in HOOKD_JOB alone) — and {t: "close", id, s} when the supervisor stops
// reading a stream ("o" stdout, "e" stderr).
// Here → supervisor: {t: "spawned", id, pid, stat}, {t: "out", id, s, b} (bytes read, base64),
// {t: "end", id, s}, {t: "exit", id, code, signal}, {t: "error", id, message, code}, and
// {t: "pipe", id, s} alone with the stream's pipe as its handle.
//
// A job's stdout and stderr are pipes this process reads: the first reads are relayed as "out"
// messages (a job that writes nothing or little costs the supervisor no connection, no file
// descriptor, nothing per stream), and once a stream has relayed RELAY_BYTES or RELAY_READS reads,
// the pipe itself is handed to the supervisor (handle passing, SCM_RIGHTS): this process stops
// reading it, sends what it read before, then the pipe — the supervisor reads the rest itself, so
// bulk output never passes through here. The IPC channel keeps the order: every "out" sent before
// the pipe arrives before it, and Node holds later messages until the supervisor acknowledged the
// handle. It exits when the supervisor goes away.
//
// It starts and reads the jobs with the handles child_process itself is built on (process_wrap's
// Process, pipe_wrap's Pipe, read through stream_wrap's shared state, as Node's net.js does): a
// ChildProcess with two net.Sockets cost this process ~0.15 ms of user and ~0.07 ms of system CPU
// more per `sh -c true` (2,000 jobs, 8 in flight: user 0.23–0.25 → 0.07–0.10 ms, system
// 0.27–0.32 → 0.20–0.23 ms per job), a third of its whole cost per job. A job's stdin, when it has
// one, is the only net.Socket (to write it).
//
// Those handles are Node's internals (process.binding, DEP0111: on its allow-list today, their
// shape included). At start the helper checks that the bindings and what it uses of them are there,
// and a first use that throws is caught too: either way it says why on its stderr (hookd's log) and
// starts this and every later job through child_process.spawn and net.Sockets, the public API, with
// the same messages — slower, but no job fails for it. HOOKD_SPAWNER_PUBLIC_API=1 in hookd's
// environment makes the helpers use the public API from the start (tests, diagnosis). A helper on
// the public API says so once: {t: "api", api: "public", why}.
export function spawnerProgram(load: NodeJS.Require): void {
  const { spawn } = load("node:child_process") as typeof import("node:child_process")
  const { readFileSync } = load("node:fs") as typeof import("node:fs")
  const { Socket } = load("node:net") as typeof import("node:net")
  const { getSystemErrorName } = load("node:util") as typeof import("node:util")
  type Socket = import("node:net").Socket
  type Env = Record<string, string>
  /** Node's stream handle (pipe_wrap's Pipe): what net.Socket wraps. */
  type Pipe = { onread: (buffer: ArrayBuffer | undefined) => void; readStart(): number; readStop(): number; close(): void }
  type ProcessHandle = {
    pid: number
    onexit: (exitCode: number, signalCode: string) => void
    spawn(options: object): number
    close(): void
  }
  /** What the helper uses of Node's internal bindings. */
  type Handles = {
    Process: new () => ProcessHandle
    Pipe: new (type: number) => Pipe
    SOCKET: number
    streamBaseState: Int32Array
    kReadBytesOrError: number
    kArrayBufferOffset: number
  }
  /** The bindings when they are there with all this helper uses of them, else why not. */
  const probe = (): Handles | string => {
    if (process.env.HOOKD_SPAWNER_PUBLIC_API === "1") return "HOOKD_SPAWNER_PUBLIC_API=1"
    try {
      const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding
      if (typeof binding !== "function") return "process.binding is missing"
      const { Process } = binding("process_wrap") as { Process?: unknown }
      const { Pipe, constants } = binding("pipe_wrap") as { Pipe?: unknown; constants?: { SOCKET?: unknown } }
      const stream = binding("stream_wrap") as { streamBaseState?: unknown; kReadBytesOrError?: unknown; kArrayBufferOffset?: unknown }
      const methods = (of: unknown, names: Array<string>) =>
        typeof of === "function" && names.every((name) => typeof (of.prototype as Record<string, unknown>)[name] === "function")
      if (!methods(Process, ["spawn", "close"])) return "process_wrap's Process.spawn/close is missing"
      if (!methods(Pipe, ["readStart", "readStop", "close"]) || typeof constants?.SOCKET !== "number") return "pipe_wrap's Pipe is not as expected"
      const { streamBaseState, kReadBytesOrError, kArrayBufferOffset } = stream
      if (!(streamBaseState instanceof Int32Array) || typeof kReadBytesOrError !== "number" || typeof kArrayBufferOffset !== "number") {
        return "stream_wrap's streamBaseState is not as expected"
      }
      return { Process, Pipe, SOCKET: constants.SOCKET, streamBaseState, kReadBytesOrError, kArrayBufferOffset } as unknown as Handles
    } catch (e) {
      return `process.binding: ${(e as Error).message}`
    }
  }
  /** The leader's /proc stat line, for its fingerprint (read here: one less file read in the supervisor per job). */
  const statOf = (pid: number | undefined): string | undefined => {
    if (process.platform !== "linux" || pid === undefined) return undefined
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8")
    } catch {
      return undefined
    }
  }
  type Run = { t: "run"; id: number; script: string; cwd: string; env?: Env; set?: Env; unset?: string[]; stdin?: string }
  type Close = { t: "close"; id: number; s: "o" | "e" }
  /**
   * A stream's relay: bytes and reads relayed so far; `drop` stops reading and closes it; `release`
   * stops reading, relays what was read already, and gives up the pipe's handle (to hand it over).
   */
  type Relay = { bytes: number; reads: number; drop(): void; release(): { close(): void } | undefined }
  /** A stream relays this many bytes, or this many reads, before its pipe goes to the supervisor. */
  const RELAY_BYTES = 64 * 1024
  const RELAY_READS = 16
  /** The streams still read here, per job id and stream. */
  const relays = new Map<string, Relay>()
  let outbox: Array<object> = []
  let flushing = false
  const flush = (): void => {
    flushing = false
    if (outbox.length === 0) return
    const batch = outbox
    outbox = []
    // A failed send means the supervisor is gone ("disconnect" follows): nothing to do here.
    if (process.connected) process.send!(batch.length === 1 ? batch[0] : batch, undefined, undefined, () => {})
  }
  const send = (message: object): void => {
    outbox.push(message)
    if (!flushing) {
      flushing = true
      setImmediate(flush)
    }
  }
  /** Node's handles, until they are missing or fail: then the public API, for good. */
  let handles: Handles | undefined
  const usePublicApi = (why: string, forced: boolean): void => {
    handles = undefined
    if (!forced) process.stderr.write(`hookd spawner: Node's process and pipe handles are not usable (${why}): starting jobs with child_process\n`)
    send({ t: "api", api: "public", why })
  }
  const probed = probe()
  if (typeof probed === "string") usePublicApi(probed, probed.startsWith("HOOKD_SPAWNER_PUBLIC_API"))
  else handles = probed
  /** Stops reading a relayed stream here and closes it (its end, the supervisor's close, a hand-over that cannot be sent). */
  const drop = (key: string, relay: Relay): void => {
    relays.delete(key)
    relay.drop()
  }
  const handOver = (id: number, s: "o" | "e", relay: Relay): void => {
    relays.delete(id + s)
    // No read after this one happens here; what was read before goes first, then the pipe (Node's
    // "net.Native" hand-over), and ours is closed once the message is written.
    const handle = process.connected ? relay.release() : undefined
    if (handle === undefined) return relay.drop()
    flush()
    process.send!({ t: "pipe", id, s }, handle as never, (e: Error | null) => {
      if (e) process.stderr.write(`hookd spawner: cannot hand a job's output to hookd: ${e.message}\n`)
      handle.close()
    })
  }
  /** Relays `bytes` read from a stream; hands its pipe over once it is busy. */
  const relayed = (id: number, s: "o" | "e", state: Relay, buffer: ArrayBufferLike, offset: number, length: number): void => {
    send({ t: "out", id, s, b: Buffer.from(buffer, offset, length).toString("base64") })
    state.bytes += length
    if ((++state.reads >= RELAY_READS || state.bytes >= RELAY_BYTES) && relays.get(id + s) === state) handOver(id, s, state)
  }
  const relayPipe = (h: Handles, id: number, s: "o" | "e", pipe: Pipe): void => {
    const key = id + s
    const state: Relay = {
      bytes: 0,
      reads: 0,
      drop: () => {
        pipe.readStop()
        pipe.close()
      },
      release: () => {
        pipe.readStop()
        pipe.onread = () => {}
        return pipe
      }
    }
    relays.set(key, state)
    pipe.onread = (buffer) => {
      const read = h.streamBaseState[h.kReadBytesOrError]!
      if (read <= 0 || buffer === undefined) {
        if (read === 0 || relays.get(key) !== state) return
        drop(key, state) // the end (UV_EOF), or a read error: the stream ends either way
        return send({ t: "end", id, s })
      }
      relayed(id, s, state, buffer, h.streamBaseState[h.kArrayBufferOffset]!, read)
    }
    pipe.readStart()
  }
  const relaySocket = (id: number, s: "o" | "e", socket: Socket): void => {
    const key = id + s
    const state: Relay = {
      bytes: 0,
      reads: 0,
      drop: () => void socket.destroy(),
      release: () => {
        const withHandle = socket as Socket & { _handle: (Pipe & { readStop(): number }) | null }
        const handle = withHandle._handle
        if (handle === null) return undefined
        // What the socket holds is relayed first: read() emits it as "data", which relays without
        // handing over again; the socket lets go of the handle, as Node's own hand-over does.
        handle.readStop()
        while (socket.readableLength > 0 && socket.read() !== null) {}
        handle.onread = () => {}
        withHandle._handle = null
        socket.destroy()
        return handle
      }
    }
    relays.set(key, state)
    socket.on("data", (bytes: Buffer) => relayed(id, s, state, bytes.buffer, bytes.byteOffset, bytes.length))
    socket.on("error", () => {}) // ends in "close"
    const ended = () => {
      if (relays.get(key) !== state) return // handed over or closed: not ours to end
      relays.delete(key)
      send({ t: "end", id, s })
    }
    socket.once("end", ended)
    socket.once("close", ended)
  }
  const writeStdin = (stdin: Socket, text: string): void => {
    stdin.on("error", () => {}) // EPIPE when the job does not read its stdin
    stdin.end(text)
  }
  /** Starts a job with Node's handles; false when they threw before the job started (not started). */
  const startWithHandles = (h: Handles, run: Run, envPairs: Array<string>): boolean => {
    const { id } = run
    const made: Array<{ close(): void }> = []
    let child: ProcessHandle
    let out: Pipe, err: Pipe, input: Pipe | undefined
    let failed: number
    try {
      made.push((out = new h.Pipe(h.SOCKET)), (err = new h.Pipe(h.SOCKET)))
      input = run.stdin ? new h.Pipe(h.SOCKET) : undefined
      if (input) made.push(input)
      made.push((child = new h.Process()))
      child.onexit = (exitCode, signalCode) => {
        child.close()
        send({ t: "exit", id, code: signalCode ? null : exitCode, signal: signalCode || null })
      }
      // Absolute path: the job's env may have no PATH. detached = setsid(): pgid == pid.
      failed = child.spawn({
        file: "/bin/sh",
        args: ["/bin/sh", "-c", run.script],
        cwd: run.cwd,
        envPairs,
        stdio: [input ? { type: "pipe", handle: input } : { type: "ignore" }, { type: "pipe", handle: out }, { type: "pipe", handle: err }],
        detached: true,
        windowsHide: false,
        windowsVerbatimArguments: false
      })
      if (typeof failed !== "number") throw new Error(`Process.spawn returned ${typeof failed}`)
    } catch (e) {
      for (const handle of made) {
        try {
          handle.close()
        } catch {}
      }
      usePublicApi(`a job's start threw: ${(e as Error).message}`, false)
      return false
    }
    if (failed !== 0) {
      for (const handle of made) handle.close()
      const code = getSystemErrorName(failed)
      send({ t: "error", id, message: `spawn /bin/sh ${code}`, code })
      return true
    }
    send({ t: "spawned", id, pid: child.pid, stat: statOf(child.pid) })
    relayPipe(h, id, "o", out)
    relayPipe(h, id, "e", err)
    if (input) writeStdin(new Socket({ handle: input, readable: false, writable: true } as ConstructorParameters<typeof Socket>[0]), run.stdin ?? "")
    return true
  }
  /** Starts a job with child_process (the public API: when Node's handles are not usable). */
  const startWithChildProcess = (run: Run, env: Env): void => {
    const { id } = run
    let child: import("node:child_process").ChildProcess
    try {
      child = spawn("/bin/sh", ["-c", run.script], { cwd: run.cwd, env, stdio: [run.stdin ? "pipe" : "ignore", "pipe", "pipe"], detached: true })
    } catch (e) {
      // spawn throws (instead of emitting "error") for E2BIG, for instance.
      return send({ t: "error", id, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code })
    }
    child.once("error", (e: NodeJS.ErrnoException) => send({ t: "error", id, message: e.message, code: e.code }))
    child.once("spawn", () => {
      send({ t: "spawned", id, pid: child.pid, stat: statOf(child.pid) })
      relaySocket(id, "o", child.stdout as Socket)
      relaySocket(id, "e", child.stderr as Socket)
      if (child.stdin) writeStdin(child.stdin as Socket, run.stdin ?? "")
    })
    child.once("exit", (code, signal) => send({ t: "exit", id, code, signal }))
  }
  /** The environment of the last run on this channel, which the next one's set/unset change. */
  let lastEnv: Env = {}
  const envOf = (run: Run): Env => {
    if (run.env !== undefined) return (lastEnv = run.env)
    if (run.set === undefined && run.unset === undefined) return lastEnv
    const env: Env = { ...lastEnv, ...run.set }
    for (const name of run.unset ?? []) delete env[name]
    return (lastEnv = env)
  }
  const start = (run: Run): void => {
    const env = envOf(run)
    const envPairs: Array<string> = []
    for (const name of Object.keys(env)) envPairs.push(`${name}=${env[name]}`)
    // A C string ends at a NUL: child_process refuses these (ERR_INVALID_ARG_VALUE), so do we.
    if (run.script.includes("\0") || run.cwd.includes("\0") || envPairs.some((pair) => pair.includes("\0"))) {
      return send({ t: "error", id: run.id, message: "the command, its working directory or its environment contains a NUL byte", code: "ERR_INVALID_ARG_VALUE" })
    }
    if (handles !== undefined && startWithHandles(handles, run, envPairs)) return
    startWithChildProcess(run, env)
  }
  const close = ({ id, s }: Close): void => {
    const state = relays.get(id + s)
    if (state !== undefined) drop(id + s, state)
  }
  const receive = (message: Run | Close): void => (message.t === "run" ? start(message) : close(message))
  process.on("message", (message: Run | Close | Array<Run | Close>) => {
    if (Array.isArray(message)) for (const m of message) receive(m)
    else receive(message)
  })
  // The supervisor is gone (exited or was killed): the jobs are reconciled by the next one.
  process.on("disconnect", () => process.exit(0))
}
