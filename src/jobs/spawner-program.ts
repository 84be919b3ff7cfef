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
export function spawnerProgram(load: NodeJS.Require): void {
  const { readFileSync } = load("node:fs") as typeof import("node:fs")
  const { Socket } = load("node:net") as typeof import("node:net")
  const { getSystemErrorName } = load("node:util") as typeof import("node:util")
  type Env = Record<string, string>
  /** Node's stream handle (pipe_wrap's Pipe): what net.Socket wraps. */
  type Pipe = { onread: (buffer: ArrayBuffer | undefined) => void; readStart(): number; readStop(): number; close(): void }
  type ProcessHandle = {
    pid: number
    onexit: (exitCode: number, signalCode: string) => void
    spawn(options: object): number
    close(): void
  }
  const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding
  const { Process } = binding("process_wrap") as { Process: new () => ProcessHandle }
  const { Pipe, constants: pipeConstants } = binding("pipe_wrap") as { Pipe: new (type: number) => Pipe; constants: { SOCKET: number } }
  const { streamBaseState, kReadBytesOrError, kArrayBufferOffset } = binding("stream_wrap") as {
    streamBaseState: Int32Array
    kReadBytesOrError: number
    kArrayBufferOffset: number
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
  /** A stream's relay: bytes relayed so far, reads relayed so far. */
  type Relay = { pipe: Pipe; bytes: number; reads: number }
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
  /** Stops reading a relayed stream here and closes it (its end, the supervisor's close, a hand-over that cannot be sent). */
  const drop = (key: string, relay: Relay): void => {
    relays.delete(key)
    relay.pipe.readStop()
    relay.pipe.close()
  }
  const handOver = (id: number, s: "o" | "e", relay: Relay): void => {
    if (!process.connected) return drop(id + s, relay)
    // No read after this one happens here; what was read before goes first, then the pipe (Node's
    // "net.Native" hand-over), and ours is closed once the message is written.
    relays.delete(id + s)
    relay.pipe.readStop()
    relay.pipe.onread = () => {}
    flush()
    process.send!({ t: "pipe", id, s }, relay.pipe as never, (e: Error | null) => {
      if (e) process.stderr.write(`hookd spawner: cannot hand a job's output to hookd: ${e.message}\n`)
      relay.pipe.close()
    })
  }
  const relay = (id: number, s: "o" | "e", pipe: Pipe): void => {
    const key = id + s
    const state: Relay = { pipe, bytes: 0, reads: 0 }
    relays.set(key, state)
    pipe.onread = (buffer) => {
      const read = streamBaseState[kReadBytesOrError]!
      if (read <= 0 || buffer === undefined) {
        if (read === 0 || relays.get(key) !== state) return
        drop(key, state) // the end (UV_EOF), or a read error: the stream ends either way
        return send({ t: "end", id, s })
      }
      send({ t: "out", id, s, b: Buffer.from(buffer, streamBaseState[kArrayBufferOffset]!, read).toString("base64") })
      state.bytes += read
      if ((++state.reads >= RELAY_READS || state.bytes >= RELAY_BYTES) && relays.get(key) === state) handOver(id, s, state)
    }
    pipe.readStart()
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
    const { id } = run
    const env = envOf(run)
    const envPairs: Array<string> = []
    for (const name of Object.keys(env)) envPairs.push(`${name}=${env[name]}`)
    // A C string ends at a NUL: child_process refuses these (ERR_INVALID_ARG_VALUE), so do we.
    if (run.script.includes("\0") || run.cwd.includes("\0") || envPairs.some((pair) => pair.includes("\0"))) {
      return send({ t: "error", id, message: "the command, its working directory or its environment contains a NUL byte", code: "ERR_INVALID_ARG_VALUE" })
    }
    const out = new Pipe(pipeConstants.SOCKET)
    const err = new Pipe(pipeConstants.SOCKET)
    const input = run.stdin ? new Pipe(pipeConstants.SOCKET) : undefined
    const child = new Process()
    child.onexit = (exitCode, signalCode) => {
      child.close()
      send({ t: "exit", id, code: signalCode ? null : exitCode, signal: signalCode || null })
    }
    // Absolute path: the job's env may have no PATH. detached = setsid(): pgid == pid.
    const failed = child.spawn({
      file: "/bin/sh",
      args: ["/bin/sh", "-c", run.script],
      cwd: run.cwd,
      envPairs,
      stdio: [input ? { type: "pipe", handle: input } : { type: "ignore" }, { type: "pipe", handle: out }, { type: "pipe", handle: err }],
      detached: true,
      windowsHide: false,
      windowsVerbatimArguments: false
    })
    if (failed !== 0) {
      child.close()
      for (const pipe of [out, err, input]) pipe?.close()
      const code = getSystemErrorName(failed)
      return send({ t: "error", id, message: `spawn /bin/sh ${code}`, code })
    }
    send({ t: "spawned", id, pid: child.pid, stat: statOf(child.pid) })
    relay(id, "o", out)
    relay(id, "e", err)
    if (input) {
      const stdin = new Socket({ handle: input, readable: false, writable: true } as ConstructorParameters<typeof Socket>[0])
      stdin.on("error", () => {}) // EPIPE when the job does not read its stdin
      stdin.end(run.stdin ?? "")
    }
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
