// The spawner's whole program (issue 13): a small, long-lived Node process that starts the jobs'
// shells for the supervisor. fork() copies the forking process's page tables, so spawning from the
// supervisor (hundreds of MB after a burst) cost ~3–18 ms of blocked event loop per job; this
// process stays at Node's floor and does nothing else.
//
// It runs as `node -e "(<this function's source>)(require)"`: CommonJS, nothing from this module's
// scope, and modules only through `load` (a bundler rewrites a bare `require`). It listens on its
// own Unix socket (HOOKD_SPAWNER_SOCKET) and says {t: "ready"} once it does. Per job the supervisor
// sends {id, script, cwd, env, stdin} over the IPC channel and connects twice to that socket,
// writing "<id>o\n" / "<id>e\n" on each — the supervisor connects, not this process, because only a
// connecting socket can read into one reused buffer (net's onread; output-source.ts). Once a job's
// request and both connections are here, the spawner gives those sockets to the shell as its stdout
// and stderr — the job writes straight to the supervisor, no byte passes through here — then closes
// its own copies. It answers {t: "spawned", id, pid, stat}, later {t: "exit", id, code, signal}, or
// {t: "error", id, message, code} when the shell could not be started. It exits when the supervisor
// goes away.
export function spawnerProgram(load: NodeJS.Require): void {
  const { spawn } = load("node:child_process") as typeof import("node:child_process")
  const net = load("node:net") as typeof import("node:net")
  const { readFileSync, rmSync } = load("node:fs") as typeof import("node:fs")
  type Socket = import("node:net").Socket
  /** The leader's /proc stat line, for its fingerprint (read here: one less file read in the supervisor per job). */
  const statOf = (pid: number | undefined): string | undefined => {
    if (process.platform !== "linux" || pid === undefined) return undefined
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8")
    } catch {
      return undefined
    }
  }
  type Request = { id: string; script: string; cwd: string; env: Record<string, string>; stdin?: string }
  /** A job's parts as they arrive: its request (IPC) and its two output connections, in any order. */
  type Parts = { request?: Request; o?: Socket; e?: Socket; readonly timer: NodeJS.Timeout }
  const socketPath = process.env.HOOKD_SPAWNER_SOCKET!
  const HEADER_BYTES = 16 + 2 // the id (16 hex), "o" or "e", "\n"
  /** A job whose parts do not all arrive this soon is given up (a supervisor that failed half-way). */
  const PARTS_TIMEOUT_MS = 10_000
  const send = (message: object): void => {
    if (process.connected) process.send!(message)
  }
  const jobs = new Map<string, Parts>()
  const partsOf = (id: string): Parts => {
    let parts = jobs.get(id)
    if (parts === undefined) {
      parts = { timer: setTimeout(() => giveUp(id), PARTS_TIMEOUT_MS) }
      jobs.set(id, parts)
    }
    return parts
  }
  const giveUp = (id: string): void => {
    const parts = jobs.get(id)
    if (parts === undefined) return
    jobs.delete(id)
    parts.o?.destroy()
    parts.e?.destroy()
    if (parts.request !== undefined) send({ t: "error", id, message: "the job's output connections from hookd did not arrive" })
  }
  const startIfComplete = (id: string): void => {
    const parts = jobs.get(id)
    if (parts?.request === undefined || parts.o === undefined || parts.e === undefined) return
    jobs.delete(id)
    clearTimeout(parts.timer)
    start(parts.request, parts.o, parts.e)
  }
  const start = (request: Request, out: Socket, err: Socket): void => {
    const { id } = request
    let child: import("node:child_process").ChildProcess
    try {
      // Absolute path: the job's env may have no PATH. detached = setsid(): pgid == pid.
      child = spawn("/bin/sh", ["-c", request.script], {
        cwd: request.cwd,
        env: request.env,
        stdio: [request.stdin ? "pipe" : "ignore", out, err],
        detached: true
      })
    } catch (e) {
      // spawn throws (instead of emitting "error") for E2BIG and for NUL bytes in the command or env.
      send({ t: "error", id, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code })
      return
    } finally {
      // The shell holds its own copies (or nothing was started): ours must not keep the streams open.
      out.destroy()
      err.destroy()
    }
    child.once("error", (e: NodeJS.ErrnoException) => send({ t: "error", id, message: e.message, code: e.code }))
    child.once("spawn", () => {
      send({ t: "spawned", id, pid: child.pid, stat: statOf(child.pid) })
      if (child.stdin) {
        child.stdin.on("error", () => {}) // EPIPE when the job does not read its stdin
        child.stdin.end(request.stdin)
      }
    })
    child.once("exit", (code, signal) => send({ t: "exit", id, code, signal }))
  }
  /** Reads the "<id><stream>\n" header a connection from the supervisor starts with. */
  const readHeader = (socket: Socket): void => {
    socket.on("error", () => {})
    const timer = setTimeout(() => socket.destroy(), PARTS_TIMEOUT_MS)
    const tryRead = () => {
      const header = socket.read(HEADER_BYTES) as Buffer | null
      if (header === null) return
      clearTimeout(timer)
      socket.off("readable", tryRead)
      const text = header.toString("latin1")
      const stream = text[16]
      if (text[HEADER_BYTES - 1] !== "\n" || (stream !== "o" && stream !== "e")) return void socket.destroy()
      const id = text.slice(0, 16)
      partsOf(id)[stream] = socket
      startIfComplete(id)
    }
    socket.on("readable", tryRead)
    socket.once("close", () => clearTimeout(timer))
  }
  process.on("message", (request: Request) => {
    partsOf(request.id).request = request
    startIfComplete(request.id)
  })
  // The supervisor is gone (exited or was killed): the jobs are reconciled by the next one.
  process.on("disconnect", () => process.exit(0))
  rmSync(socketPath, { force: true }) // left by a spawner that died
  const server = net.createServer(readHeader)
  server.on("error", (e) => {
    process.stderr.write(`hookd spawner: cannot listen on ${socketPath}: ${e.message}\n`)
    process.exit(1)
  })
  server.listen(socketPath, () => send({ t: "ready" }))
}
