// The supervisor's side of the spawner process (spawner-program.ts): starts it on first use,
// connects to its private Unix socket for each job's output (output-source.ts: read into one reused
// buffer), and turns each job's IPC messages into a launched leader (pid, its stdout and stderr, its
// exit).
// The spawner is started again if it dies; jobs it had started then end "lost" (their exit status
// died with it) and their process groups are killed like any job's.
import { type ChildProcess, spawn } from "node:child_process"
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { connect, createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { socketPathLimit } from "../protocol/paths"
import { connectOutput, type OutputSource } from "./output-source"
import { spawnerProgram } from "./spawner-program"

export interface LaunchRequest {
  readonly script: string
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  readonly stdin?: string
}

/** How the leader ended; `lost` when the spawner died first (the status cannot be known). */
export type LeaderEnd =
  | { readonly _tag: "Exited"; readonly code: number }
  | { readonly _tag: "Signaled"; readonly signal: string }
  | { readonly _tag: "Lost" }

export interface Launched {
  readonly pid: number
  /** The leader's `/proc/<pid>/stat` line as the spawner read it (Linux), for its fingerprint. */
  readonly stat: string | undefined
  readonly stdout: OutputSource
  readonly stderr: OutputSource
  readonly exit: Promise<LeaderEnd>
}

/** A launch that failed: `code` is the errno code when there is one (E2BIG, ENOENT). */
export class LaunchError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message)
  }
}

interface Pending {
  readonly child: ChildProcess
  stdout?: OutputSource
  stderr?: OutputSource
  pid?: number
  stat?: string
  launched?: boolean
  ended?: boolean
  readonly resolve: (launched: Launched) => void
  readonly reject: (error: LaunchError) => void
  readonly exited: (end: LeaderEnd) => void
  readonly exit: Promise<LeaderEnd>
}

/** What the spawner answers (spawner-program.ts): spawned, exit or error, per job id. */
type SpawnerMessage = { t: string; id: string; pid?: number; stat?: string; code?: number | string | null; signal?: string | null; message?: string }

/** A spawner helper: its process, the socket it listens on for the jobs' output, and when it does. */
interface Helper {
  readonly child: ChildProcess
  readonly socketPath: string
  readonly listening: Promise<void>
}

/**
 * Several spawners: Node's spawn blocks its process until the child has exec'd, so one spawner
 * starts one job at a time, and on a loaded machine the wait for the child to be scheduled
 * dominates. Measured with 1,000 `sh -c true` (8 in flight, load average ~26, 2 CPUs): one process
 * 7.0 s, two 4.5 s.
 */
const DEFAULT_SPAWNERS = 2

export class Spawner {
  private readonly children: Array<Helper | undefined>
  /** Launches in flight (not yet answered) per spawner: a launch goes to the least busy one. */
  private readonly inFlight: Array<number>
  /** Where the helpers' sockets are: `runDir`, or a temp directory (removed at close). */
  private socketDir: string | undefined
  /** The temp directory of the sockets when they could not be in `runDir`. */
  private dir: string | undefined
  /** In the temp directory: a socket that answers while this supervisor lives (sweepStaleSpawnerDirs). */
  private liveness: Server | undefined
  private readonly jobs = new Map<string, Pending>()
  private launches = 0
  private closed = false
  private idleTimer: NodeJS.Timeout | undefined

  constructor(
    spawners: number = DEFAULT_SPAWNERS,
    /** The helpers leave after this long without a job, and start again with the next one. */
    private readonly idleStopMs: number = 30_000,
    /**
     * The supervisor's own 0700 run directory (`<state>/run`): the helpers' sockets for the jobs'
     * output are `spawner-<n>.sock` in it, so a supervisor killed with -9 leaves nothing in $TMPDIR
     * and the next one reuses the paths (the singleton lock makes them ours). Without it (tests), or
     * when the path is too long for a socket, a private temp directory as before.
     */
    private readonly runDir: string | undefined = undefined
  ) {
    this.children = Array.from({ length: spawners }, () => undefined)
    this.inFlight = this.children.map(() => 0)
  }

  /** Starts a job's shell; resolves once it runs and both output sockets are connected. */
  launch(request: LaunchRequest): Promise<Launched> {
    if (this.closed) return Promise.reject(new LaunchError("hookd is shutting down", undefined))
    // 16 hex digits, as the helper reads them; unique among this supervisor's launches.
    const id = (++this.launches).toString(16).padStart(16, "0")
    let exited!: (end: LeaderEnd) => void
    const exit = new Promise<LeaderEnd>((resolve) => (exited = resolve))
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    const slot = this.inFlight.indexOf(Math.min(...this.inFlight))
    return new Promise<Launched>((resolve, reject) => {
      let helper: Helper
      try {
        helper = this.ensureStarted(slot)
      } catch (e) {
        return reject(new LaunchError(`cannot start the spawner process: ${(e as Error).message}`, undefined))
      }
      this.inFlight[slot]!++
      const answered = (settle: () => void) => () => {
        this.inFlight[slot]!--
        settle()
      }
      const child = helper.child
      this.jobs.set(id, {
        child,
        resolve: (launched) => answered(() => resolve(launched))(),
        reject: (error) => answered(() => reject(error))(),
        exited,
        exit
      })
      child.send({ id, ...request }, (e) => {
        if (e) this.fail(id, new LaunchError(`cannot reach the spawner process: ${e.message}`, undefined))
      })
      void helper.listening.then(() => this.connectOutputs(id, helper.socketPath))
    })
  }

  /** The job's stdout and stderr: two connections to its spawner, which hands them to the shell. */
  private async connectOutputs(id: string, socketPath: string): Promise<void> {
    const [out, err] = await Promise.allSettled([connectOutput(socketPath, `${id}o\n`), connectOutput(socketPath, `${id}e\n`)])
    const job = this.jobs.get(id)
    if (job === undefined || out.status === "rejected" || err.status === "rejected") {
      if (out.status === "fulfilled") out.value.destroy()
      if (err.status === "fulfilled") err.value.destroy()
      const failed = out.status === "rejected" ? out.reason : err.status === "rejected" ? err.reason : undefined
      if (failed !== undefined) this.fail(id, new LaunchError(`cannot connect the job's output to its spawner: ${(failed as Error).message}`, undefined))
      return
    }
    job.stdout = out.value
    job.stderr = err.value
    this.settleIfReady(id, job)
  }

  /** Stops the spawner (the jobs it started are not its children's business any more). */
  close(): void {
    this.closed = true
    this.stop()
  }

  /** The spawners' pids, of those that run (tests). */
  get pids(): ReadonlyArray<number> {
    return this.children.flatMap((c) => (c?.child.pid !== undefined ? [c.child.pid] : []))
  }

  private ensureStarted(slot: number): Helper {
    const running = this.children[slot]
    if (running !== undefined && running.child.connected) return running
    const socketPath = join((this.socketDir ??= this.chooseSocketDir()), `spawner-${slot}.sock`)
    rmSync(socketPath, { force: true }) // left by a helper that died, or by a supervisor killed with -9
    const child = spawn(process.execPath, ["-e", `(${spawnerProgram.toString()})(require)`], {
      env: { HOOKD_SPAWNER_SOCKET: socketPath },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "json"
    })
    let listened!: () => void
    const listening = new Promise<void>((resolve) => (listened = resolve))
    child.on("message", (m: SpawnerMessage) => (m.t === "ready" ? listened() : this.onMessage(m)))
    child.once("exit", () => this.onSpawnerExit(slot, child))
    child.on("error", () => this.onSpawnerExit(slot, child))
    child.unref()
    // The IPC channel must not keep the supervisor alive either.
    ;(child.channel as { unref?: () => void } | null | undefined)?.unref?.()
    const helper: Helper = { child, socketPath, listening }
    this.children[slot] = helper
    return helper
  }

  private chooseSocketDir(): string {
    if (this.runDir !== undefined) {
      const longest = join(this.runDir, `spawner-${this.children.length - 1}.sock`)
      if (Buffer.byteLength(longest) <= socketPathLimit()) {
        mkdirSync(this.runDir, { recursive: true, mode: 0o700 })
        return this.runDir
      }
    }
    this.dir = mkdtempSync(join(tmpdir(), SPAWN_DIR_PREFIX))
    // The helpers' sockets come and go (they leave when idle): this one tells a sweep that we live.
    const liveness = createServer((socket) => socket.destroy())
    liveness.listen(join(this.dir, LIVENESS_SOCKET))
    liveness.unref()
    this.liveness = liveness
    return this.dir
  }

  private onMessage(m: SpawnerMessage): void {
    const job = this.jobs.get(m.id)
    if (job === undefined) return
    switch (m.t) {
      case "spawned":
        job.pid = m.pid
        job.stat = m.stat
        this.settleIfReady(m.id, job)
        return
      case "exit":
        this.end(m.id, job, typeof m.code === "number" ? { _tag: "Exited", code: m.code } : { _tag: "Signaled", signal: m.signal ?? "SIGKILL" })
        return
      case "error":
        this.fail(m.id, new LaunchError(m.message ?? "cannot start the job", typeof m.code === "string" ? m.code : undefined))
        return
    }
  }

  private settleIfReady(id: string, job: Pending): void {
    if (job.launched || job.pid === undefined || job.stdout === undefined || job.stderr === undefined) return
    job.launched = true
    job.resolve({ pid: job.pid, stat: job.stat, stdout: job.stdout, stderr: job.stderr, exit: job.exit })
    if (job.ended) this.forget(id)
  }

  /** A job is forgotten once it is both launched and ended (its sockets may still be on their way). */
  private end(id: string, job: Pending, how: LeaderEnd): void {
    if (job.ended) return
    job.ended = true
    job.exited(how)
    if (job.launched) this.forget(id)
  }

  private fail(id: string, error: LaunchError): void {
    const job = this.jobs.get(id)
    if (job === undefined) return
    this.forget(id)
    job.stdout?.destroy()
    job.stderr?.destroy()
    job.reject(error)
    job.exited({ _tag: "Lost" })
  }

  /** Jobs not started yet fail; started ones end Lost (the caller kills their groups). */
  private onSpawnerExit(slot: number, child: ChildProcess): void {
    if (this.children[slot]?.child !== child) return
    this.children[slot] = undefined
    for (const [id, job] of [...this.jobs]) {
      if (job.child !== child) continue
      if (job.pid === undefined) this.fail(id, new LaunchError("the spawner process exited before it started the job", undefined))
      else this.end(id, job, { _tag: "Lost" })
    }
  }

  /** Forgets a job; the helpers leave once none has had a job for a while (they cost ~40 MB each). */
  private forget(id: string): void {
    this.jobs.delete(id)
    if (this.jobs.size > 0 || this.closed) return
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined
      if (this.jobs.size === 0) this.stopHelpers()
    }, this.idleStopMs)
    this.idleTimer.unref()
  }

  private stopHelpers(): void {
    for (const [slot, helper] of this.children.entries()) {
      this.children[slot] = undefined
      if (helper === undefined) continue
      const child = helper.child
      if (child.connected) child.disconnect()
      child.kill("SIGTERM")
    }
  }

  private stop(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
    this.stopHelpers()
    this.liveness?.close()
    this.liveness = undefined
    if (this.socketDir !== undefined) {
      for (const slot of this.children.keys()) rmSync(join(this.socketDir, `spawner-${slot}.sock`), { force: true })
    }
    this.socketDir = undefined
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true })
    this.dir = undefined
  }
}

const SPAWN_DIR_PREFIX = "hookd-spawn-"
/** In a temp directory, the socket that answers while its supervisor lives. */
const LIVENESS_SOCKET = "out.sock"

/** A temp dir without its socket yet is left alone this long (it may be a starting supervisor's). */
const UNBOUND_GRACE_MS = 60_000

/** Whether a unix socket nobody listens on is at `path` (connect refused); false when someone answers. */
const refusesConnections = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ path })
    socket.once("connect", () => (socket.destroy(), resolve(false)))
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"))
  })

/**
 * Removes the `hookd-spawn-*` directories in `dir` ($TMPDIR) that supervisors killed with -9 left
 * (before the socket moved into the state dir, or where its path was too long): ours (same uid),
 * and dead — the socket in it refuses connections, or it never got one and is older than a minute.
 * A live supervisor's socket answers and its directory stays. Never throws; returns what it removed.
 */
export const sweepStaleSpawnerDirs = async (dir: string = tmpdir(), now: number = Date.now()): Promise<ReadonlyArray<string>> => {
  const removed: string[] = []
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(SPAWN_DIR_PREFIX))
  } catch {
    return removed
  }
  for (const name of names) {
    const path = join(dir, name)
    try {
      const stat = lstatSync(path)
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue
      const socket = join(path, LIVENESS_SOCKET)
      const hasSocket = lstatSync(socket, { throwIfNoEntry: false })?.isSocket() === true
      const dead = hasSocket ? await refusesConnections(socket) : now - stat.mtimeMs > UNBOUND_GRACE_MS
      if (!dead) continue
      rmSync(path, { recursive: true, force: true })
      removed.push(path)
    } catch {
      // gone meanwhile, or not ours to read: leave it
    }
  }
  return removed
}
