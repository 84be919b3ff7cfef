// The supervisor side of fire-and-forget shims: `<state>/spool/` receives one file per hook run
// (written by the shim's sh, renamed into place atomically), and this module turns each into a
// RunJobs through `submit` — the same start as a request over the socket — then deletes it.
//
// Trust: the directory is created 0700 inside the user's state dir and checked (ours, a real
// directory, not group/other-accessible) before anything is read; each entry is lstat'ed and read
// with O_NOFOLLOW, and refused (logged, deleted) when it is not a regular file of this user, is over
// the size cap, or does not parse. The pid file that tells shims "a supervisor is up" is written only
// once the watcher runs, and removed first at shutdown.
import { Effect, Queue, type Scope } from "effect"
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  watch,
  writeFileSync,
  type FSWatcher,
  type Stats
} from "node:fs"
import { join } from "node:path"
import { parseDuration } from "../config/units"
import { pidExists } from "../jobs/fingerprint"
import { logInfo, logWarn } from "../logging/event-log"
import { spoolDirPath, supervisorPidPath, waitDirPath } from "../protocol/paths"
import type { RequestPayloads } from "../protocol/types"
import { ownUid, removeTree } from "./own-files"
import { DEFAULT_STALE_AFTER_MS, parseSpoolFile, refusalOf } from "./request-file"
import { serveWaitRequest, type WaitContext, type WaitedHandler } from "./wait-session"

/** The reason a stale request's jobs are recorded skipped with. */
export const STALE_REASON = "stale hook request"
/** A temp file (`.<pid>.tmp`) this old belongs to a shim that died mid-write. */
const ABANDONED_TEMP_MS = 60_000

export interface SpoolOptions<R> {
  readonly stateDir: string
  /** A request older than this (by its file's mtime) is recorded skipped (`stale hook request`). */
  readonly staleAfterMs: number
  /** Starts the hook run; `skipAll` records every job skipped with that reason. Returns the invocation id. */
  readonly submit: (request: RequestPayloads["RunJobs"], skipAll: string | undefined) => Effect.Effect<string, { readonly message: string }, R>
  /** Completes when the supervisor starts to stop: the pid file goes first, so shims fall back to hookctl. */
  readonly stopping: Effect.Effect<unknown>
  readonly now?: () => number
  /** Serves wait shims' requests (wait-session.ts); without it they are refused. */
  readonly waited?: WaitedHandler
  /** This supervisor's socket (wait requests of hooks that name another are left to hookctl). */
  readonly socketPath?: string
  /** Tracks a wait session's end as a request (shutdown waits for it). */
  readonly track?: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>
}

export interface Spool {
  /** Processes every request in the spool now (serialized); a no-op when the spool is unusable. */
  readonly drain: Effect.Effect<void>
  /**
   * Writes the pid file that tells shims to spool (removed at the scope's end, or as soon as
   * stopping begins). Called once the socket listens, so a supervisor that fails to start never
   * invites requests it will not serve.
   */
  readonly announce: Effect.Effect<void, never, Scope.Scope>
}

/** HOOKD_SPOOL_STALE_AFTER (a duration, e.g. 30m; `0` = never stale), else 1 h. */
export const staleAfterFromEnv = (raw: string | undefined): { readonly ms: number; readonly problem?: string } => {
  if (raw === undefined || raw.trim() === "") return { ms: DEFAULT_STALE_AFTER_MS }
  const ms = parseDuration(raw)
  if (ms === undefined) return { ms: DEFAULT_STALE_AFTER_MS, problem: `HOOKD_SPOOL_STALE_AFTER="${raw}" is not a duration (e.g. 30m, 2h, 0 = never); using 1h` }
  return { ms: ms === 0 ? Number.POSITIVE_INFINITY : ms }
}


/** Creates the spool dir (0700) or says why it cannot be trusted. */
const prepareDir = (dir: string): string | undefined => {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = lstatSync(dir)
    if (st.isSymbolicLink() || !st.isDirectory()) return `${dir} is not a directory`
    if (st.uid !== ownUid()) return `${dir} is owned by uid ${st.uid}, not by this user`
    if ((st.mode & 0o077) !== 0) return `${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it`
    return undefined
  } catch (e) {
    return `${dir}: ${(e as Error).message}`
  }
}


type Taken =
  | { readonly kind: "request"; readonly bytes: Buffer; readonly mtimeMs: number }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "gone" }

/** Reads one entry and removes it from the spool (at most once: a crash later loses it, never repeats it). */
const take = (path: string): Taken => {
  let before: Stats
  try {
    before = lstatSync(path)
  } catch {
    return { kind: "gone" } // another drain took it
  }
  const entry = { isFile: before.isFile(), isSymbolicLink: before.isSymbolicLink(), uid: before.uid, size: before.size }
  const refusal = refusalOf(entry, ownUid())
  if (refusal !== undefined) {
    removeTree(path)
    return { kind: "refused", reason: refusal }
  }
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    removeTree(path)
    return { kind: "refused", reason: `cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` }
  }
  try {
    const st = fstatSync(fd)
    // Swapped between lstat and open: judge what was opened.
    const again = refusalOf({ isFile: st.isFile(), isSymbolicLink: false, uid: st.uid, size: st.size }, ownUid())
    if (again !== undefined || st.ino !== before.ino) {
      removeTree(path)
      return { kind: "refused", reason: again ?? "replaced while being read" }
    }
    const bytes = readFileSync(fd)
    removeTree(path)
    return { kind: "request", bytes, mtimeMs: st.mtimeMs }
  } finally {
    closeSync(fd)
  }
}

/** A wait shim's directory this old whose shim is not running any more was left by a crash. */
const LEFT_BEHIND_MS = 60_000
/** ... and one this old is left behind whatever runs under its pid now (no hook waits a day). */
const LEFT_BEHIND_ANYWAY_MS = 24 * 60 * 60 * 1000


/**
 * Wait shims' request directories (`<state>/wait/<pid>`) a shim killed at the wrong moment left:
 * those whose shim no longer runs, and any older than a day. Run at start, before the spool's scan
 * (a running shim's directory stays: the scan serves its request).
 */
export const sweepWaitDirs = (root: string, now: number = Date.now()): ReadonlyArray<string> => {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return removed
  }
  for (const name of names) {
    const path = join(root, name)
    let age: number
    try {
      age = now - lstatSync(path).mtimeMs
    } catch {
      continue
    }
    const pid = /^[1-9][0-9]*$/.test(name) ? Number(name) : undefined
    if (age > LEFT_BEHIND_ANYWAY_MS || (age > LEFT_BEHIND_MS && (pid === undefined || !pidExists(pid)))) {
      removeTree(path)
      removed.push(name)
    }
  }
  return removed
}

/** Atomically (a shim never reads half a pid); undefined on success, else why not. */
const writePidFile = (state: string): string | undefined => {
  const path = supervisorPidPath(state)
  const temp = `${path}.${process.pid}.tmp`
  try {
    writeFileSync(temp, `${process.pid}\n`, { mode: 0o600 })
    renameSync(temp, path)
    return undefined
  } catch (e) {
    removeTree(temp)
    return `cannot write ${path}: ${(e as Error).message}`
  }
}

/** Removes the pid file only while it is still ours (a newer supervisor may have replaced it). */
const removePidFile = (state: string): void => {
  const path = supervisorPidPath(state)
  try {
    if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path)
  } catch {
    // gone already
  }
}

/**
 * Starts the intake in the current scope: checks the directory, watches it, writes the pid file and
 * scans what was spooled before (requests of a previous supervisor's last moments, or of a shim that
 * saw a pid file it could not know was stale). `announce` then invites new ones.
 */
export const startSpool = <R>(options: SpoolOptions<R>) =>
  Effect.gen(function* () {
    const dir = spoolDirPath(options.stateDir)
    const problem = prepareDir(dir)
    if (problem !== undefined) {
      // Without the pid file every shim falls back to `hookctl run-hook`: nothing is lost.
      yield* logWarn("spool_unavailable", { reason: problem })
      return { drain: Effect.void, announce: Effect.void } satisfies Spool
    }
    const now = options.now ?? Date.now
    // Wait shims' directories: made (0700) and trusted as the spool is, or those shims use hookctl.
    const waitRoot = waitDirPath(options.stateDir)
    const waitProblem = options.waited === undefined ? "not served" : prepareDir(waitRoot)
    let waitContext: WaitContext | undefined
    if (waitProblem === undefined && options.waited !== undefined) {
      waitContext = { stateDir: options.stateDir, waitRoot: realpathSync(waitRoot), handle: options.waited, socketPath: options.socketPath ?? "", track: options.track ?? ((effect) => effect) }
      const swept = sweepWaitDirs(waitRoot, now())
      if (swept.length > 0) yield* logInfo("wait_dirs_removed", { removed: swept })
    } else if (options.waited !== undefined) {
      yield* logWarn("spool_unavailable", { reason: waitProblem })
    }
    const context = yield* Effect.context<R>()
    const lock = yield* Effect.makeSemaphore(1)

    const processOne = (name: string) =>
      Effect.gen(function* () {
        const path = join(dir, name)
        if (name.startsWith(".")) {
          // A shim's temp file before its rename; one left long enough belongs to a dead shim.
          const age = (() => {
            try {
              return now() - lstatSync(path).mtimeMs
            } catch {
              return 0
            }
          })()
          if (age > ABANDONED_TEMP_MS) removeTree(path)
          return
        }
        const taken = take(path)
        if (taken.kind === "gone") return
        if (taken.kind === "refused") return yield* logWarn("spool_refused", { file: path, reason: taken.reason })
        const parsed = parseSpoolFile(taken.bytes)
        if (!parsed.ok) return yield* logWarn("spool_refused", { file: path, reason: parsed.reason })
        const { hook, args, env } = parsed.request
        if (parsed.request.wait !== undefined) {
          if (waitContext === undefined) return yield* logWarn("spool_refused", { file: path, reason: "wait requests are not served here" })
          const served = yield* serveWaitRequest(waitContext, { ...parsed.request, wait: parsed.request.wait })
          if (served.kind === "refused") return yield* logWarn("spool_refused", { file: path, reason: served.reason })
          if (served.kind === "abandoned") return yield* logInfo("spool_wait_abandoned", { hook, reason: served.reason })
          return yield* logInfo("spool_wait", { hook, worktree: parsed.request.worktree, ...(served.invocation !== undefined && { invocation_id: served.invocation }) })
        }
        // The shim sends $PWD, which may spell the worktree through a symlink; hookctl sends getcwd().
        let worktree: string
        try {
          worktree = realpathSync(parsed.request.worktree)
        } catch (e) {
          return yield* logWarn("spool_request_failed", { hook, worktree: parsed.request.worktree, error: (e as Error).message })
        }
        const stale = now() - taken.mtimeMs > options.staleAfterMs
        // As hookctl run-hook would send it: repo_root is the hook's cwd, which git sets to the worktree root.
        const request: RequestPayloads["RunJobs"] = { repo_root: worktree, worktree, hook, args, env, mode: "auto", wait: false }
        yield* options.submit(request, stale ? STALE_REASON : undefined).pipe(
          Effect.flatMap((invocation) =>
            logInfo("spool_request", { hook, worktree, invocation_id: invocation, ...(stale && { skipped: STALE_REASON }) })
          ),
          Effect.catchAll((e) => logWarn("spool_request_failed", { hook, worktree, error: e.message }))
        )
      })

    const drain = lock.withPermits(1)(
      Effect.gen(function* () {
        let names: string[]
        try {
          names = readdirSync(dir)
        } catch {
          return
        }
        if (names.length === 0) return
        // Oldest first, so a burst of checkouts starts in the order git ran them.
        const ordered = names
          .map((name) => {
            try {
              return { name, at: lstatSync(join(dir, name)).mtimeMs }
            } catch {
              return { name, at: 0 }
            }
          })
          .sort((a, b) => a.at - b.at || a.name.localeCompare(b.name))
        for (const { name } of ordered) yield* processOne(name)
      })
    ).pipe(Effect.provide(context))

    // The watcher only wakes the worker; a sliding queue of one coalesces a burst into one drain.
    const wake = yield* Queue.sliding<void>(1)
    const watcher = yield* Effect.acquireRelease(
      Effect.sync((): FSWatcher | undefined => {
        try {
          const w = watch(dir, { persistent: false }, () => void wake.unsafeOffer(undefined))
          w.on("error", () => void wake.unsafeOffer(undefined))
          return w
        } catch {
          return undefined
        }
      }),
      (w) => Effect.sync(() => w?.close())
    )
    if (watcher === undefined) {
      yield* logWarn("spool_unavailable", { reason: `cannot watch ${dir}` })
      return { drain: Effect.void, announce: Effect.void } satisfies Spool
    }
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(wake), drain)))
    yield* wake.offer(undefined) // the scan at start
    const announce = Effect.gen(function* () {
      const unwritten = yield* Effect.acquireRelease(
        Effect.sync(() => writePidFile(options.stateDir)),
        () => Effect.sync(() => removePidFile(options.stateDir))
      )
      // Shims without a pid file use hookctl run-hook, so the spool still serves what is in it.
      if (unwritten !== undefined) yield* logWarn("spool_unavailable", { reason: unwritten })
      // Gone as soon as stopping begins: from then on shims use hookctl run-hook (which waits for or
      // starts the next supervisor); anything spooled in between is picked up at the next start.
      yield* Effect.forkScoped(Effect.zipRight(options.stopping, Effect.sync(() => removePidFile(options.stateDir))))
    })
    return { drain, announce } satisfies Spool
  })
