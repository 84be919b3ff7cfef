// The supervisor side of wait shims (src/client/shims.ts waitLines): a hook git waits for, served
// without node on the hook's side. The shim made a private directory `<state>/wait/<pid>` with three
// fifos — `out` and `err` (its `cat`s copy them to git's stdout and stderr), `code` (it reads the exit
// code from it) — plus `live`, which it holds open for the whole hook (EOF here: the shim is gone,
// even after SIGKILL), and spooled a `hookd-wait v1` request naming it (request-file.ts).
//
// Here the request becomes exactly the RunJobs{wait:true} `hookctl run-hook` sends — handled by the
// dispatcher's own handler (same config loading, conditions, rows, errors) — and its answers are
// printed by the client's own code (src/client/hook-run.ts), into the fifos instead of a terminal:
// the same bytes and the same exit code as the node path.
//
// Who runs the request is settled once, by whoever creates `<dir>/taken` first (link(2) here, `set -C`
// in the shim): the supervisor's holds what the shim prints if hookd dies before the end (what
// run-hook prints when its connection closes); the shim's means it gave up waiting (hookd died or
// never came) and runs `hookctl run-hook` itself — and a request found claimed is dropped, so the
// jobs never run twice. Fifos are opened O_NONBLOCK only (a reader is waiting, or ENXIO and a later
// try): no libuv thread ever blocks in open(2).
import * as net from "node:net"
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readFileSync, readSync, realpathSync, unlinkSync, writeFileSync, writeSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { Deferred, Effect, Exit, Stream } from "effect"
import type { JobInfo, RequestPayloads, ResponseEnvelope } from "../protocol/types"
import { socketPath } from "../protocol/paths"
import { terminalSafe } from "../protocol/terminal-text"
import { failureText, runHookReported, type HookIo, type RunHookCommand } from "../client/hook-run"
import { ServerError, UnreachableError } from "../client/errors"
import { hookWorktree } from "../client/git"
import { shimReminders } from "../client/hook-inventory"
import { ownUid, removeTree } from "./own-files"
import type { SpoolRequest } from "./request-file"

type RunJobs = RequestPayloads["RunJobs"]

/** What the dispatcher's handlers answer through (the socket server's Replier has this shape). */
export interface WaitReplier {
  send(response: ResponseEnvelope): Effect.Effect<void>
  /** Stops early (interrupting the stream) when the shim leaves. */
  stream(responses: Stream.Stream<ResponseEnvelope, never>): Effect.Effect<void>
}

/** The socket server's Connection shape: `closed` completes when the shim leaves. */
export interface WaitConnection {
  readonly id: number
  readonly closed: Effect.Effect<void>
}

/** The dispatcher's RunJobs handling (tracked, errors answered as Error frames). */
export type WaitedHandler = (payload: RunJobs, reply: WaitReplier, connection: WaitConnection) => Effect.Effect<void>

/** git's stdin for a pre-push: far below this; a bigger one is refused (as the socket's frame cap would). */
const MAX_STDIN_BYTES = 8 * 1024 * 1024
/** How long a fifo's reader may take to appear (the shim's `cat` starts before its request is spooled). */
const OPEN_FIFO_FOR_MS = 60_000


export type WaitOutcome =
  | { readonly kind: "served"; readonly invocation?: string }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "abandoned"; readonly reason: string }

/** Why `dir` is not a wait shim's request directory of this state dir, or undefined. */
export const waitDirRefusal = (dir: string, waitRoot: string): string | undefined => {
  if (!/^[0-9]+$/.test(basename(dir))) return "the request directory is not named by a process id"
  let parent: string
  try {
    parent = realpathSync(dirname(dir))
  } catch {
    return "the request directory's parent does not exist"
  }
  if (parent !== waitRoot) return `the request directory is not in ${waitRoot}`
  try {
    const st = lstatSync(dir)
    if (st.isSymbolicLink() || !st.isDirectory()) return "the request directory is not a directory"
    if (st.uid !== ownUid()) return `the request directory is owned by uid ${st.uid}, not by this user`
    if ((st.mode & 0o077) !== 0) return "the request directory is accessible to other users"
  } catch {
    return "gone"
  }
  return undefined
}

const isOurFifo = (fd: number): boolean => {
  const st = fstatSync(fd)
  return st.isFIFO() && st.uid === ownUid()
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

/** A fifo opened for writing once its reader waits (ENXIO until then: tried again, never blocking). */
const openFifoForWriting = async (path: string, gone: () => boolean): Promise<number | undefined> => {
  const until = Date.now() + OPEN_FIFO_FOR_MS
  for (let delay = 1; !gone() && Date.now() < until; delay = Math.min(delay * 2, 50)) {
    let fd: number
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENXIO") return undefined
      await sleep(delay)
      continue
    }
    if (isOurFifo(fd)) return fd
    closeSync(fd)
    return undefined
  }
  return undefined
}

const FIFOS = ["out", "err", "code"] as const

/**
 * The end for a shim that is gone (or a directory no live shim holds): every reader of its fifos —
 * a killed shim's cats may still be in open(2), or not there yet — is let go, and none can come later.
 * Each fifo is held open read-write (a writer for whoever waits in open(2); Linux opens a fifo O_RDWR
 * without a reader) while the directory goes; the closes then give EOF, and a later open ENOENT.
 */
const releaseAndRemove = (dir: string): void => {
  const held: number[] = []
  for (const name of FIFOS) {
    try {
      const fd = openSync(join(dir, name), constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW)
      if (isOurFifo(fd)) held.push(fd)
      else closeSync(fd)
    } catch {
      // gone, or not ours to open
    }
  }
  removeTree(dir)
  for (const fd of held) closeSync(fd)
}

/**
 * The end for a live shim whose request hookd leaves to hookctl (another socket, refused, not
 * claimed): each fifo that will have a reader — `code`, `out`, `err` unless both streams are one —
 * gets a writer, closed at once (EOF: no exit code, so the shim runs `hookctl run-hook`). Its reader
 * is WAITED for as in the normal flow: the shim opens `code` only after it spooled the request (its
 * cats start in the background), so when hookd is quicker than the sh no reader is there yet, and a
 * one-shot open (ENXIO) would leave the shim blocked until its 30 s watchdog. The directory stays:
 * the shim still reads its saved stdin and removes it. Stops when the shim leaves (`live`'s EOF);
 * what it left is then let go and removed.
 */
const releaseToHookctl = async (dir: string, merged: boolean, shim: ShimLink): Promise<void> => {
  await Promise.all(
    FIFOS.filter((name) => !(merged && name === "err")).map(async (name) => {
      const fd = await openFifoForWriting(join(dir, name), () => shim.gone)
      if (fd !== undefined) closeSync(fd)
    })
  )
  const gone = shim.gone
  shim.close()
  if (gone) releaseAndRemove(dir)
}

/** One of the shim's output fifos: opened at the first write (or at the end), written with backpressure. */
class FifoWriter {
  private socket: Promise<net.Socket | undefined> | undefined
  constructor(
    private readonly path: string,
    private readonly shim: ShimLink
  ) {}

  private opened(): Promise<net.Socket | undefined> {
    this.socket ??= openFifoForWriting(this.path, () => this.shim.gone).then((fd) => {
      if (fd === undefined) return undefined
      const socket = new net.Socket({ fd, readable: false, writable: true })
      // EPIPE: the shim's cat is gone (Ctrl-C), so is the shim.
      socket.on("error", () => this.shim.leave())
      return socket
    })
    return this.socket
  }

  write(text: string): Promise<void> | undefined {
    if (this.shim.gone) return undefined
    return this.opened().then(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket === undefined || socket.destroyed || this.shim.gone) return resolve()
          const done = () => {
            socket.off("close", done)
            resolve()
          }
          socket.once("close", done)
          socket.write(text, done)
        })
    )
  }

  /** Flushes and closes (the cat reads EOF); a reader that never got a writer is let go by finish's releaseAndRemove. */
  async end(): Promise<void> {
    if (this.socket === undefined) {
      if (this.shim.gone) return
      this.socket = this.opened()
    }
    const socket = await this.socket
    if (socket === undefined) return
    await new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve()
      socket.once("close", () => resolve())
      socket.end(() => socket.destroy())
    })
  }
}

/** The shim's `live` fifo: readable here, held open for writing by the shim; EOF = the shim is gone. */
class ShimLink {
  gone = false
  private socket: net.Socket | undefined
  private readonly listeners: Array<() => void> = []
  constructor(private readonly fd: number) {}

  /** Whether the shim still holds its end (a non-blocking read: EAGAIN alive, 0 gone). */
  alive(): boolean {
    try {
      return readSync(this.fd, Buffer.alloc(1)) !== 0
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EAGAIN"
    }
  }

  watch(): void {
    this.socket = new net.Socket({ fd: this.fd, readable: true, writable: false })
    this.socket.on("data", () => {})
    this.socket.on("end", () => this.leave())
    this.socket.on("close", () => this.leave())
    this.socket.on("error", () => this.leave())
  }

  onLeave(listener: () => void): void {
    if (this.gone) listener()
    else this.listeners.push(listener)
  }

  leave(): void {
    if (this.gone) return
    this.gone = true
    for (const listener of this.listeners.splice(0)) listener()
  }

  close(): void {
    if (this.socket !== undefined) this.socket.destroy()
    else closeSync(this.fd)
  }
}

/**
 * RunJobs' answers from the handler to the client's loop: `push` resolves once the loop took the
 * answer (so the handler's stream goes at the fifo's pace, as at a socket's); after the handler
 * ended, a loop still waiting hears what a closed connection tells run-hook.
 */
class AnswerChannel {
  private readonly pending: Array<{ readonly answer: ResponseEnvelope; readonly taken: () => void }> = []
  private wake: (() => void) | undefined
  private ended = false
  private stopped = false
  constructor(
    private readonly closedMessage: string,
    private readonly onFirst: () => void
  ) {}

  push(answer: ResponseEnvelope): Promise<void> {
    this.onFirst()
    if (this.stopped) return Promise.resolve()
    return new Promise((taken) => {
      this.pending.push({ answer, taken })
      this.wake?.()
    })
  }

  end(): void {
    this.ended = true
    this.onFirst()
    this.wake?.()
  }

  async *answers(): AsyncGenerator<ResponseEnvelope> {
    try {
      for (;;) {
        const next = this.pending.shift()
        if (next !== undefined) {
          next.taken()
          if (next.answer.kind === "Error") {
            const { code, message, details } = next.answer.payload
            throw new ServerError(code, message, details)
          }
          yield next.answer
          continue
        }
        if (this.ended) throw new UnreachableError(this.closedMessage)
        await new Promise<void>((resolve) => (this.wake = resolve))
        this.wake = undefined
      }
    } finally {
      this.stopped = true
      for (const { taken } of this.pending.splice(0)) taken()
    }
  }
}

/** The answers, once `first` is done (run-hook says its reminders while hookd starts the jobs). */
async function* answersAfter(first: () => Promise<void>, channel: AnswerChannel): AsyncGenerator<ResponseEnvelope> {
  await first()
  yield* channel.answers()
}

const readStdin = (dir: string): string | { readonly refused: string } => {
  let fd: number
  try {
    fd = openSync(join(dir, "stdin"), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch {
    return { refused: "the saved stdin is missing" }
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile() || st.uid !== ownUid()) return { refused: "the saved stdin is not a regular file of this user" }
    if (st.size > MAX_STDIN_BYTES) return { refused: `the saved stdin has ${st.size} bytes, more than ${MAX_STDIN_BYTES}` }
    return readFileSync(fd).toString("utf8")
  } finally {
    closeSync(fd)
  }
}


export interface WaitContext {
  readonly stateDir: string
  /** realpath of `<state>/wait`. */
  readonly waitRoot: string
  readonly handle: WaitedHandler
  /** Runs the session's end (printing, the exit code) as a tracked request: a stopping hookd lets it finish. */
  readonly track: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>
  /** This supervisor's socket: a hook whose environment names another one is left to hookctl. */
  readonly socketPath: string
}

/**
 * Serves one wait request: claims it, starts the run (returns once RunJobs was answered — accepted or
 * refused — so spooled hooks still start in git's order), and leaves the rest to a daemon fiber that
 * prints into the fifos and ends with the exit code. Never throws: a bad request is "refused", one
 * the shim gave up on "abandoned".
 */
export const serveWaitRequest = (context: WaitContext, request: SpoolRequest & { readonly wait: NonNullable<SpoolRequest["wait"]> }) =>
  Effect.gen(function* () {
    const { dir, flags } = request.wait
    const refusal = waitDirRefusal(dir, context.waitRoot)
    if (refusal === "gone") return { kind: "abandoned", reason: "the shim's request directory is gone" } satisfies WaitOutcome
    if (refusal !== undefined) return { kind: "refused", reason: refusal } satisfies WaitOutcome
    let liveFd: number
    try {
      liveFd = openSync(join(dir, "live"), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    } catch (e) {
      releaseAndRemove(dir)
      return { kind: "refused", reason: `cannot open its live fifo (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` } satisfies WaitOutcome
    }
    const shim = new ShimLink(liveFd)
    // No shim holds the directory: its leftovers (a -9'd shim's cats may wait in open(2)) go.
    const abandon = (reason: string, kind: "refused" | "abandoned"): Effect.Effect<WaitOutcome> =>
      Effect.sync(() => {
        shim.close()
        releaseAndRemove(dir)
        return { kind, reason }
      })
    // A live shim's request left unclaimed: its readers are let go in the background (they may come
    // late: see releaseToHookctl), the shim finds no claim and runs hookctl run-hook itself.
    const leave = (reason: string, kind: "refused" | "abandoned"): Effect.Effect<WaitOutcome> =>
      Effect.gen(function* () {
        shim.watch()
        yield* Effect.forkDaemon(Effect.promise(() => releaseToHookctl(dir, flags.merged, shim)))
        return { kind, reason }
      })
    if (!isOurFifo(liveFd)) return yield* abandon("its live fifo is not a fifo of this user", "refused")
    if (!shim.alive()) return yield* abandon("the shim went away before hookd took its request", "abandoned")
    const hookSocket = socketPath(request.env)
    // The hook's hookctl would talk to another supervisor (HOOKD_SOCKET).
    if (hookSocket !== context.socketPath) return yield* leave(`the hook's socket is ${hookSocket}, not this supervisor's`, "abandoned")

    // As run-hook builds it: cwd is the worktree root git runs hooks from (the shim's $PWD, resolved
    // as getcwd() would), the environment is the hook's.
    let cwd: string
    try {
      cwd = realpathSync(request.worktree)
    } catch (e) {
      return yield* leave(`the worktree ${request.worktree}: ${(e as Error).message}`, "refused")
    }
    const cmd: RunHookCommand = { kind: "run-hook", repo: cwd, hook: request.hook, mode: "auto", args: [...request.args], force: false }
    let stdin: string | undefined
    if (flags.stdin) {
      const read = readStdin(dir)
      if (typeof read !== "string") return yield* leave(read.refused, "refused")
      stdin = read
    }
    const closedMessage = `hookd closed the connection (${hookSocket})`
    // The claim: what the shim prints if this supervisor dies before the end — run-hook's words when
    // its connection closes (the bypass for a blocking hook, a warning and exit 0 for a post-hook).
    const notice = yield* Effect.promise(() => failureText(cmd, new UnreachableError(closedMessage), request.env))
    const mine = join(dir, `.taken.${process.pid}`)
    try {
      writeFileSync(mine, `${notice.code}\n${notice.text}`, { mode: 0o600 })
      linkSync(mine, join(dir, "taken"))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      try {
        unlinkSync(mine)
      } catch {
        // never made
      }
      // EEXIST: the shim claimed it first (it gave up on hookd, let its readers go and runs hookctl
      // run-hook itself); any other failure leaves it unclaimed, to the shim's hookctl.
      if (code !== "EEXIST") return yield* leave(`cannot claim it (${code})`, "abandoned")
      shim.close()
      return { kind: "abandoned", reason: "the shim ran it through hookctl" } satisfies WaitOutcome
    }
    unlinkSync(mine)
    shim.watch()

    const worktree = hookWorktree(cwd, request.env) ?? cwd
    const payload: RunJobs = {
      repo_root: cwd,
      worktree,
      hook: request.hook,
      args: request.args,
      ...(stdin !== undefined && { stdin }),
      env: request.env,
      mode: "auto",
      wait: true
    }
    const out = new FifoWriter(join(dir, "out"), shim)
    const err = flags.merged ? out : new FifoWriter(join(dir, "err"), shim)
    const io: HookIo = { out: (text) => out.write(text), err: (text) => err.write(text), stderrIsTTY: () => flags.stderrIsTTY, env: request.env }

    const answered = yield* Deferred.make<void>()
    let invocation: string | undefined
    const channel = new AnswerChannel(closedMessage, () => Deferred.unsafeDone(answered, Exit.void))
    const shimGone = Effect.async<void>((resume) => shim.onLeave(() => resume(Effect.void)))
    const send = (answer: ResponseEnvelope) =>
      Effect.promise(() => {
        if (answer.kind === "RunAccepted") invocation = answer.payload.invocation_id
        return channel.push(answer)
      })
    const reply: WaitReplier = {
      send,
      // As a socket's: the stream stops when the shim leaves (and the handler cancels the waited jobs).
      stream: (responses) =>
        Effect.raceFirst(Stream.runForEach(responses, send), shimGone)
    }
    const connection: WaitConnection = { id: -1, closed: shimGone }
    yield* Effect.forkDaemon(context.handle(payload, reply, connection).pipe(Effect.ensuring(Effect.sync(() => channel.end()))))

    let reminded = false
    const run = {
      cmd,
      worktree,
      payload,
      io,
      send: (_: RunJobs, whileHookdWorks: () => Promise<void>) => answersAfter(whileHookdWorks, channel),
      // StreamEnd carries the jobs (this supervisor's own handler): without them, no summary.
      listInvocation: (): Promise<ReadonlyArray<JobInfo>> => Promise.reject(new Error("no jobs in StreamEnd")),
      remind: async () => {
        if (reminded) return
        reminded = true
        const reminders = await shimReminders(worktree, request.hook, context.stateDir).catch(() => [])
        if (reminders.length > 0) await io.err(reminders.map((line) => terminalSafe(line)).join("\n") + "\n")
      }
    }
    const finish = async () => {
      const code = await runHookReported(run)
      await Promise.all([out.end(), err === out ? undefined : err.end()])
      if (!shim.gone) {
        const fd = await openFifoForWriting(join(dir, "code"), () => shim.gone)
        if (fd !== undefined) {
          try {
            writeSync(fd, `${code}\n`)
          } catch {
            // the shim left meanwhile
          } finally {
            closeSync(fd)
          }
        }
      }
      shim.close()
      // The shim has its code (or is gone): whatever still waits in open(2) is let go.
      releaseAndRemove(dir)
    }
    yield* Effect.forkDaemon(context.track(Effect.promise(finish)))
    yield* Deferred.await(answered)
    return { kind: "served", ...(invocation !== undefined && { invocation }) } satisfies WaitOutcome
  })
