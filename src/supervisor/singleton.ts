// One supervisor per user and state dir (SPEC §7), decided before the socket path is touched.
// Linux: an abstract-namespace socket is the mutex; the kernel frees the name when the holder dies,
// even by SIGKILL. Its name comes from the canonical state dir and is not guessable, and a holder
// must prove it is the same user (singleton-name.ts). Elsewhere: an O_EXCL lock file holding pid +
// fingerprint in the canonical state dir.
import * as fs from "node:fs"
import * as net from "node:net"
import { dirname, join } from "node:path"
import { Data, Effect, Scope } from "effect"
import { pidExists, processFingerprint } from "../jobs/fingerprint"
import { stateDir as defaultStateDir } from "../protocol/paths"
import { publishExclusively, readIfPresent, removeIfStill } from "./exclusive-file"
import { listenOnLockName } from "./lock-socket"
import { canonicalStateDir, holderIsSameUser, rotateSingletonId, singletonLockNameFor } from "./singleton-name"

export type SingletonResult =
  | { readonly _tag: "Acquired" }
  | { readonly _tag: "AlreadyRunning"; readonly pid: number | undefined }

export class SingletonError extends Data.TaggedError("SingletonError")<{
  readonly lock: string
  readonly message: string
  readonly cause?: unknown
}> {}

const ACQUIRED: SingletonResult = { _tag: "Acquired" }
/** Each retry follows a holder that vanished between our two steps; a few are plenty. */
const MAX_ATTEMPTS = 5
const HOLDER_REPLY_TIMEOUT_MS = 5000

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException)?.code
const printable = (name: string): string => name.replace(/\0/g, "@")

const parsePid = (text: string): number | undefined => {
  const pid = Number.parseInt(text.trim(), 10)
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

// ---------------------------------------------------------------- Linux: abstract socket

/** The lock name taken (its server), or "InUse" when another process holds it. */
const listenOnLock = (name: string): Effect.Effect<net.Server | "InUse", SingletonError> =>
  Effect.async<net.Server | "InUse", SingletonError>((resume) =>
    listenOnLockName(name, (result) => {
      if (result._tag === "Listening") resume(Effect.succeed(result.server))
      else if (result._tag === "InUse") resume(Effect.succeed("InUse" as const))
      else {
        resume(
          Effect.fail(
            new SingletonError({
              lock: printable(name),
              message: `cannot take the supervisor lock ${printable(name)}: ${result.error.message}`,
              cause: result.error
            })
          )
        )
      }
    })
  )

type HolderReply = { readonly reachable: true; readonly pid: number | undefined } | { readonly reachable: false }

/** Connects to the lock holder and reads the pid it writes; unreachable when it just died. */
const askHolder = (name: string): Effect.Effect<HolderReply> =>
  Effect.async<HolderReply>((resume) => {
    let text = ""
    let settled = false
    const settle = (reply: HolderReply) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed(reply))
    }
    const socket = net.connect({ path: name })
    const timer = setTimeout(() => settle({ reachable: true, pid: parsePid(text) }), HOLDER_REPLY_TIMEOUT_MS)
    socket.setEncoding("utf8")
    socket.on("data", (data: string) => {
      text += data
    })
    socket.once("end", () => settle({ reachable: true, pid: parsePid(text) }))
    socket.once("error", (error) =>
      settle(errnoOf(error) === "ECONNREFUSED" ? { reachable: false } : { reachable: true, pid: parsePid(text) })
    )
    socket.once("close", () => settle({ reachable: true, pid: parsePid(text) }))
  })

interface AbstractLock {
  /** The name to take now (re-read on every attempt: a squatted one is replaced). */
  readonly name: () => string
  /** Another user holds `name`: make the next `name()` a different one. */
  readonly squatted: (name: string) => void
}

const acquireAbstractLock = (lock: AbstractLock): Effect.Effect<SingletonResult, SingletonError, Scope.Scope> =>
  Effect.gen(function* () {
    let name = ""
    let squatted = false
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      name = yield* Effect.try({
        try: lock.name,
        catch: (error) => new SingletonError({ lock: "singleton id", message: (error as Error).message, cause: error })
      })
      const listened = yield* listenOnLock(name)
      if (listened !== "InUse") {
        // A starter that saw our name squatted may have replaced it meanwhile: then follow the new one.
        if (lock.name() !== name) {
          listened.close()
          continue
        }
        yield* Effect.addFinalizer(() => Effect.sync(() => listened.close()))
        return ACQUIRED
      }
      const holder = yield* askHolder(name)
      if (!holder.reachable) continue
      if (holderIsSameUser(name, holder.pid)) return { _tag: "AlreadyRunning", pid: holder.pid } as const
      // Abstract names have no permissions: a holder that is not provably us is someone squatting it.
      process.stderr.write(
        `hookd: the lock name ${printable(name)} is held by a process that does not prove it is yours` +
          `${holder.pid !== undefined ? ` (it claims pid ${holder.pid})` : ""}; taking a new random name\n`
      )
      lock.squatted(name)
      squatted = true
    }
    return yield* Effect.fail(
      new SingletonError({
        lock: printable(name),
        message: squatted
          ? `the supervisor lock ${printable(name)} is held by a process that is not provably yours (another user squatting it?)`
          : `the supervisor lock ${printable(name)} is in use but its holder does not answer`
      })
    )
  })

// ---------------------------------------------------------------- elsewhere: O_EXCL lock file

interface LockHolder {
  readonly pid: number
  readonly fingerprint: string
}

const parseHolder = (text: string): LockHolder | undefined => {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>
    return typeof value.pid === "number" && typeof value.fingerprint === "string"
      ? { pid: value.pid, fingerprint: value.fingerprint }
      : undefined
  } catch {
    return undefined
  }
}

/** Dead only when provably so: no such process, or a process whose fingerprint differs (pid reused). */
export const holderIsProvablyDead = (
  holder: LockHolder,
  fingerprintOf: (pid: number) => string | undefined = processFingerprint,
  exists: (pid: number) => boolean = pidExists
): boolean => {
  const current = fingerprintOf(holder.pid)
  if (current !== undefined) return current !== holder.fingerprint
  return !exists(holder.pid)
}


const lockFileStep = (file: string, mine: string): SingletonResult | "Retry" | SingletonError => {
  fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  if (publishExclusively(file, mine)) return ACQUIRED
  const content = readIfPresent(file)
  if (content === undefined) return "Retry"
  const holder = parseHolder(content)
  if (holder === undefined) {
    return new SingletonError({
      lock: file,
      message: `the supervisor lock file ${file} is not hookd's; remove it if no hookd is running`
    })
  }
  if (!holderIsProvablyDead(holder)) return { _tag: "AlreadyRunning", pid: holder.pid }
  removeIfStill(file, content)
  return "Retry"
}

/** The O_EXCL lock-file singleton (used where abstract sockets do not exist); exported for tests. */
export const acquireLockFile = (file: string): Effect.Effect<SingletonResult, SingletonError, Scope.Scope> =>
  Effect.gen(function* () {
    const mine = JSON.stringify({ pid: process.pid, fingerprint: processFingerprint(process.pid) ?? "unknown" })
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const step = yield* Effect.try({
        try: () => lockFileStep(file, mine),
        catch: (error) =>
          new SingletonError({
            lock: file,
            message: `cannot take the supervisor lock file ${file}: ${(error as Error).message}`,
            cause: error
          })
      })
      if (step instanceof SingletonError) return yield* Effect.fail(step)
      if (step === "Retry") continue
      if (step._tag === "Acquired") {
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            // Remove it only while it is still ours.
            if (readIfPresent(file) === mine) fs.rmSync(file, { force: true })
          }).pipe(Effect.ignore)
        )
      }
      return step
    }
    return yield* Effect.fail(
      new SingletonError({ lock: file, message: `the supervisor lock file ${file} keeps changing; try again` })
    )
  })

// ----------------------------------------------------------------

/**
 * Takes the supervisor lock of a state dir for the life of the scope. The loser learns the
 * holder's pid (undefined when the holder could not say) so it can print "already running (pid N)".
 * `lockName` fixes the abstract name (tests); otherwise it derives from the canonical state dir.
 */
export const acquireSingleton = (options: {
  readonly stateDir?: string
  readonly lockName?: string
  readonly lockFile?: string
  /** Which mechanism: the abstract socket on Linux, the lock file elsewhere (tests pick one). */
  readonly platform?: NodeJS.Platform
} = {}): Effect.Effect<SingletonResult, SingletonError, Scope.Scope> =>
  Effect.suspend(() => {
    const state = options.stateDir ?? defaultStateDir()
    if ((options.platform ?? process.platform) !== "linux") {
      return Effect.try({
        try: () => options.lockFile ?? join(canonicalStateDir(state), "hookd.lock"),
        catch: (error) => new SingletonError({ lock: state, message: `cannot resolve the state directory ${state}: ${(error as Error).message}`, cause: error })
      }).pipe(Effect.flatMap(acquireLockFile))
    }
    const fixed = options.lockName
    return acquireAbstractLock(
      fixed !== undefined
        ? { name: () => fixed, squatted: () => undefined }
        : {
            name: () => singletonLockNameFor(canonicalStateDir(state)),
            squatted: (name) => rotateSingletonId(canonicalStateDir(state), name)
          }
    )
  })
