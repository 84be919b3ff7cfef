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
export function spawnerProgram(load: NodeJS.Require): void {
  const { spawn } = load("node:child_process") as typeof import("node:child_process")
  const { readFileSync } = load("node:fs") as typeof import("node:fs")
  type Socket = import("node:net").Socket
  type Env = Record<string, string>
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
  type Relay = { socket: Socket; bytes: number; reads: number }
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
  const handOver = (id: number, s: "o" | "e", relay: Relay): void => {
    const socket = relay.socket as Socket & { _handle: (import("node:net").Socket & { readStop(): number; onread: unknown; close(): void }) | null }
    const handle = socket._handle
    relays.delete(id + s)
    if (handle === null || !process.connected) return void socket.destroy()
    // No read after this one happens here (what the socket holds is relayed first: read() emits
    // it as "data", which relays without handing over again); the socket lets go of the handle (as
    // Node's own net.Socket hand-over does), and ours is closed once the message is written.
    handle.readStop()
    while (socket.readableLength > 0 && socket.read() !== null) {}
    handle.onread = () => {}
    socket._handle = null
    socket.destroy()
    flush() // what was read before goes first
    process.send!({ t: "pipe", id, s }, handle as never, (e: Error | null) => {
      if (e) process.stderr.write(`hookd spawner: cannot hand a job's output to hookd: ${e.message}\n`)
      handle.close()
    })
  }
  const relay = (id: number, s: "o" | "e", socket: Socket): void => {
    const state: Relay = { socket, bytes: 0, reads: 0 }
    relays.set(id + s, state)
    socket.on("data", (bytes: Buffer) => {
      send({ t: "out", id, s, b: bytes.toString("base64") })
      state.bytes += bytes.length
      if ((++state.reads >= RELAY_READS || state.bytes >= RELAY_BYTES) && relays.get(id + s) === state) handOver(id, s, state)
    })
    socket.on("error", () => {}) // ends in "close"
    const ended = () => {
      if (relays.get(id + s) !== state) return // handed over or closed: not ours to end
      relays.delete(id + s)
      send({ t: "end", id, s })
    }
    socket.once("end", ended)
    socket.once("close", ended)
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
    let child: import("node:child_process").ChildProcess
    try {
      // Absolute path: the job's env may have no PATH. detached = setsid(): pgid == pid.
      child = spawn("/bin/sh", ["-c", run.script], {
        cwd: run.cwd,
        env,
        stdio: [run.stdin ? "pipe" : "ignore", "pipe", "pipe"],
        detached: true
      })
    } catch (e) {
      // spawn throws (instead of emitting "error") for E2BIG and for NUL bytes in the command or env.
      send({ t: "error", id, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code })
      return
    }
    child.once("error", (e: NodeJS.ErrnoException) => send({ t: "error", id, message: e.message, code: e.code }))
    child.once("spawn", () => {
      send({ t: "spawned", id, pid: child.pid, stat: statOf(child.pid) })
      relay(id, "o", child.stdout as Socket)
      relay(id, "e", child.stderr as Socket)
      if (child.stdin) {
        child.stdin.on("error", () => {}) // EPIPE when the job does not read its stdin
        child.stdin.end(run.stdin)
      }
    })
    child.once("exit", (code, signal) => send({ t: "exit", id, code, signal }))
  }
  const close = ({ id, s }: Close): void => {
    const state = relays.get(id + s)
    relays.delete(id + s)
    state?.socket.destroy()
  }
  const receive = (message: Run | Close): void => (message.t === "run" ? start(message) : close(message))
  process.on("message", (message: Run | Close | Array<Run | Close>) => {
    if (Array.isArray(message)) for (const m of message) receive(m)
    else receive(message)
  })
  // The supervisor is gone (exited or was killed): the jobs are reconciled by the next one.
  process.on("disconnect", () => process.exit(0))
}
