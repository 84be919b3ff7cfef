// The supervisor's side of the spawner process (spawner-program.ts): starts it on first use, sends
// it the jobs to start over its IPC channel, and turns what it answers into a launched leader (pid,
// its stdout and stderr, its exit). A job's output comes relayed in the channel's messages until a
// stream gets busy, then as the pipe itself, read here (output-source.ts RelayedOutput): a job that
// writes nothing costs no connection, no file descriptor and no read here.
// The spawner is started again if it dies; jobs it had started then end "lost" (their exit status
// died with it) and their process groups are killed like any job's.
import { type ChildProcess, spawn } from "node:child_process"
import { lstatSync, readdirSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { RelayedOutput } from "./output-source"
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
  readonly stdout: RelayedOutput
  readonly stderr: RelayedOutput
  readonly exit: Promise<LeaderEnd>
}

/** A launch that failed: `code` is the errno code when there is one (E2BIG, ENOENT). */
export class LaunchError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message)
  }
}

type Env = Readonly<Record<string, string>>

/** A spawner helper: its process, what is queued for it this turn, and the last environment it was sent. */
interface Helper {
  readonly child: ChildProcess
  outbox: Array<object>
  lastEnv: Env | undefined
  /** Why it starts jobs with the public API (child_process), when it said so. */
  publicApi?: string
}

interface Job {
  readonly helper: Helper
  readonly stdout: RelayedOutput
  readonly stderr: RelayedOutput
  /** Launched (resolved) or failed (rejected). */
  answered: boolean
  ended: boolean
  readonly resolve: (launched: Launched) => void
  readonly reject: (error: LaunchError) => void
  readonly exited: (end: LeaderEnd) => void
  readonly exit: Promise<LeaderEnd>
}

/** What the spawner sends (spawner-program.ts), alone or several in an array. */
type SpawnerMessage = {
  t: "spawned" | "out" | "end" | "pipe" | "exit" | "error" | "api"
  id: number
  s?: "o" | "e"
  b?: string
  pid?: number
  stat?: string
  code?: number | string | null
  signal?: string | null
  message?: string
  why?: string
}

/**
 * What a run request carries of `env`: nothing when it is the previous request's, else the
 * variables that differ from it (`set`) and those it lacks (`unset`) — the whole of it for the
 * helper's first request. Consecutive jobs of one invocation differ in HOOKD_JOB alone (issue 13:
 * the whole environment, JSON-encoded per job, was ~15 µs of the supervisor's time per job).
 */
export const envChange = (last: Env | undefined, env: Env): { env?: Env; set?: Record<string, string>; unset?: Array<string> } => {
  if (last === env) return {}
  if (last === undefined) return { env }
  let set: Record<string, string> | undefined
  let unset: Array<string> | undefined
  for (const name of Object.keys(env)) {
    const value = env[name]!
    if (name === "__proto__") return { env } // an assignment would not make it a variable
    if (!Object.hasOwn(last, name) || last[name] !== value) (set ??= {})[name] = value
  }
  for (const name of Object.keys(last)) if (!Object.hasOwn(env, name)) (unset ??= []).push(name)
  return { ...(set !== undefined && { set }), ...(unset !== undefined && { unset }) }
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
  private readonly jobs = new Map<number, Job>()
  private launches = 0
  private closed = false
  private idleTimer: NodeJS.Timeout | undefined
  private flushing = false

  constructor(
    spawners: number = DEFAULT_SPAWNERS,
    /** The helpers leave after this long without a job, and start again with the next one. */
    private readonly idleStopMs: number = 30_000,
    /**
     * The supervisor's run directory (`<state>/run`), where versions before the relayed output had
     * the helpers listen on `spawner-<n>.sock`: a file such a supervisor killed with -9 left there
     * is removed when the helper of that slot starts.
     */
    private readonly runDir: string | undefined = undefined,
    /**
     * The helpers start jobs with child_process, the public API, instead of Node's process and pipe
     * handles (which they fall back from by themselves when those are missing): a test and
     * diagnosis knob, HOOKD_SPAWNER_PUBLIC_API=1 in hookd's environment.
     */
    private readonly publicApi: boolean = process.env.HOOKD_SPAWNER_PUBLIC_API === "1"
  ) {
    this.children = Array.from({ length: spawners }, () => undefined)
    this.inFlight = this.children.map(() => 0)
  }

  /** Starts a job's shell; resolves once it runs. */
  launch(request: LaunchRequest): Promise<Launched> {
    if (this.closed) return Promise.reject(new LaunchError("hookd is shutting down", undefined))
    const id = ++this.launches
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
      const settled = () => this.forgetIfDone(id)
      const stream = (s: "o" | "e") => new RelayedOutput(() => this.post(helper, { t: "close", id, s }), settled)
      this.jobs.set(id, {
        helper,
        stdout: stream("o"),
        stderr: stream("e"),
        answered: false,
        ended: false,
        resolve: (launched) => answered(() => resolve(launched))(),
        reject: (error) => answered(() => reject(error))(),
        exited,
        exit
      })
      const env = envChange(helper.lastEnv, request.env)
      helper.lastEnv = request.env
      this.post(helper, { t: "run", id, script: request.script, cwd: request.cwd, ...env, ...(request.stdin ? { stdin: request.stdin } : {}) })
    })
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

  /** Per running helper, why it uses the public API (child_process), or undefined (tests). */
  get publicApiReasons(): ReadonlyArray<string | undefined> {
    return this.children.flatMap((c) => (c?.child.pid !== undefined ? [c.publicApi] : []))
  }

  /** Queues a message for a helper: what one turn of the event loop queued leaves as one message. */
  private post(helper: Helper, message: object): void {
    if (!helper.child.connected) return
    helper.outbox.push(message)
    if (this.flushing) return
    this.flushing = true
    setImmediate(() => this.flush())
  }

  private flush(): void {
    this.flushing = false
    for (const helper of this.children) {
      if (helper === undefined || helper.outbox.length === 0) continue
      const batch = helper.outbox
      helper.outbox = []
      helper.child.send(batch.length === 1 ? batch[0]! : batch, (e) => {
        if (!e) return
        for (const m of batch as Array<{ t: string; id: number }>) {
          if (m.t === "run") this.fail(m.id, new LaunchError(`cannot reach the spawner process: ${e.message}`, undefined))
        }
      })
    }
  }

  private ensureStarted(slot: number): Helper {
    const running = this.children[slot]
    if (running !== undefined && running.child.connected) return running
    // left by a helper of an older version (it listened there), or by a supervisor killed with -9
    if (this.runDir !== undefined) rmSync(join(this.runDir, `spawner-${slot}.sock`), { force: true })
    const child = spawn(process.execPath, ["-e", `(${spawnerProgram.toString()})(require)`], {
      env: this.publicApi ? { HOOKD_SPAWNER_PUBLIC_API: "1" } : {},
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      serialization: "json"
    })
    const helper: Helper = { child, outbox: [], lastEnv: undefined }
    child.on("message", (m: SpawnerMessage | Array<SpawnerMessage>, handle: unknown) => {
      if (Array.isArray(m)) for (const one of m) this.onMessage(one, undefined, helper)
      else this.onMessage(m, handle, helper)
    })
    child.once("exit", () => this.onSpawnerExit(slot, helper))
    child.on("error", () => this.onSpawnerExit(slot, helper))
    child.unref()
    // The IPC channel must not keep the supervisor alive either.
    ;(child.channel as { unref?: () => void } | null | undefined)?.unref?.()
    this.children[slot] = helper
    return helper
  }

  private onMessage(m: SpawnerMessage, handle: unknown, helper: Helper): void {
    if (m.t === "api") {
      helper.publicApi = m.why ?? "public"
      return
    }
    const job = this.jobs.get(m.id)
    if (job === undefined) {
      closeHandle(handle)
      return
    }
    switch (m.t) {
      case "out":
        ;(m.s === "e" ? job.stderr : job.stdout).push(Buffer.from(m.b ?? "", "base64"))
        return
      case "end":
        ;(m.s === "e" ? job.stderr : job.stdout).end()
        return
      case "pipe":
        if (!(m.s === "e" ? job.stderr : job.stdout).adopt(handle)) closeHandle(handle)
        return
      case "spawned":
        if (job.answered) return
        job.answered = true
        job.resolve({ pid: m.pid!, stat: m.stat, stdout: job.stdout, stderr: job.stderr, exit: job.exit })
        this.forgetIfDone(m.id)
        return
      case "exit":
        this.end(m.id, job, typeof m.code === "number" ? { _tag: "Exited", code: m.code } : { _tag: "Signaled", signal: m.signal ?? "SIGKILL" })
        return
      case "error":
        this.fail(m.id, new LaunchError(m.message ?? "cannot start the job", typeof m.code === "string" ? m.code : undefined))
        return
    }
  }

  private end(id: number, job: Job, how: LeaderEnd): void {
    if (job.ended) return
    job.ended = true
    job.exited(how)
    this.forgetIfDone(id)
  }

  private fail(id: number, error: LaunchError): void {
    const job = this.jobs.get(id)
    if (job === undefined || job.answered) return
    job.answered = true
    job.stdout.end()
    job.stderr.end()
    job.reject(error)
    this.end(id, job, { _tag: "Lost" })
  }

  /** Jobs not started yet fail; started ones end Lost (the caller kills their groups), their relayed streams end. */
  private onSpawnerExit(slot: number, helper: Helper): void {
    if (this.children[slot] === helper) this.children[slot] = undefined
    for (const [id, job] of [...this.jobs]) {
      if (job.helper !== helper) continue
      if (!job.answered) this.fail(id, new LaunchError("the spawner process exited before it started the job", undefined))
      else {
        job.stdout.end()
        job.stderr.end()
        this.end(id, job, { _tag: "Lost" })
      }
    }
  }

  /**
   * A job is forgotten once answered, ended, and no message about its streams is expected; the
   * helpers leave once none has had a job for a while (they cost ~40 MB each).
   */
  private forgetIfDone(id: number): void {
    const job = this.jobs.get(id)
    if (job === undefined || !job.answered || !job.ended || job.stdout.relaying || job.stderr.relaying) return
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
  }
}

/** A handed-over pipe nobody reads here any more (its job is forgotten or the stream closed). */
const closeHandle = (handle: unknown): void => (handle as { close?: () => void } | undefined)?.close?.()

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
