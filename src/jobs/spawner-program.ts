// The spawner's whole program (issue 13): a small, long-lived Node process that starts the jobs'
// shells for the supervisor. fork() copies the forking process's page tables, so spawning from the
// supervisor (hundreds of MB after a burst) cost ~3–18 ms of blocked event loop per job; this
// process stays at Node's floor and does nothing else.
//
// It runs as `node -e "(<this function's source>)(require)"`: CommonJS, nothing from this module's
// scope, and modules only through `load` (a bundler rewrites a bare `require`). Per job the supervisor sends {id, script, cwd, env, stdin} over the IPC channel;
// the spawner connects twice to the supervisor's output socket (HOOKD_SPAWNER_SOCKET), writes
// "<id>o\n" / "<id>e\n" on each, and gives those sockets to the shell as its stdout and stderr — the
// job writes straight to the supervisor, no byte passes through here — then closes its own copies.
// It answers {t: "spawned", id, pid, stat}, later {t: "exit", id, code, signal}, or {t: "error", id,
// message, code} when the shell could not be started. It exits when the supervisor goes away.
export function spawnerProgram(load: NodeJS.Require): void {
  const { spawn } = load("node:child_process") as typeof import("node:child_process")
  const net = load("node:net") as typeof import("node:net")
  const { readFileSync } = load("node:fs") as typeof import("node:fs")
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
  const socketPath = process.env.HOOKD_SPAWNER_SOCKET!
  const send = (message: object): void => {
    if (process.connected) process.send!(message)
  }
  const connect = (id: string, stream: string) =>
    new Promise<import("node:net").Socket>((resolve, reject) => {
      const socket = net.connect(socketPath)
      socket.once("error", reject)
      socket.once("connect", () => socket.write(`${id}${stream}\n`, (e) => (e ? reject(e) : resolve(socket))))
    })
  const start = async (request: Request): Promise<void> => {
    const { id } = request
    const sockets = await Promise.allSettled([connect(id, "o"), connect(id, "e")])
    const [out, err] = sockets.map((s) => (s.status === "fulfilled" ? s.value : undefined))
    const failed = sockets.find((s): s is PromiseRejectedResult => s.status === "rejected")
    if (failed !== undefined || out === undefined || err === undefined) {
      out?.destroy()
      err?.destroy()
      send({ t: "error", id, message: `cannot connect the job's output to hookd: ${(failed?.reason as Error)?.message}` })
      return
    }
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
  process.on("message", (request: Request) => void start(request))
  // The supervisor is gone (exited or was killed): the jobs are reconciled by the next one.
  process.on("disconnect", () => process.exit(0))
}
