import { spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { Effect, Exit, Scope } from "effect"
import { processFingerprint } from "../../src/jobs/fingerprint"
import { acquireLockFile, acquireSingleton, holderIsProvablyDead, type SingletonResult } from "../../src/supervisor/singleton"
import { bundleFixture, firstLine, makeTempDir } from "./support"

let fixtureDir: string
let holderScript: string
const children: Array<ChildProcess> = []

beforeAll(async () => {
  fixtureDir = makeTempDir("hookd-singleton-fixture-")
  holderScript = await bundleFixture("singleton-holder", fixtureDir)
})

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

afterAll(() => fs.rmSync(fixtureDir, { recursive: true, force: true }))

const uniqueLockName = () => `hookd-test-${process.pid}-${randomBytes(4).toString("hex")}`

const startHolder = (lockName: string) => {
  const child = spawn(process.execPath, [holderScript, lockName], { stdio: ["pipe", "pipe", "inherit"] })
  children.push(child)
  return { child, line: firstLine(child.stdout!) }
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())))

/** Runs an acquisition in a scope the test closes later. */
const acquireIn = async (acquire: Effect.Effect<SingletonResult, unknown, Scope.Scope>) => {
  const scope = Effect.runSync(Scope.make())
  const result = await Effect.runPromise(acquire.pipe(Scope.extend(scope)))
  return { result, release: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

describe.runIf(process.platform === "linux")("abstract-socket singleton", () => {
  it("lets exactly one of 20 concurrent starters acquire; the others name its pid", async () => {
    const lockName = uniqueLockName()
    const starters = Array.from({ length: 20 }, () => startHolder(lockName))
    const lines = await Promise.all(starters.map((s) => s.line))
    const winners = starters.filter((_, i) => lines[i] === "acquired")
    expect(winners).toHaveLength(1)
    const holderPid = winners[0].child.pid
    const others = lines.filter((line) => line !== "acquired")
    expect(others).toEqual(Array.from({ length: 19 }, () => `already running (pid ${holderPid})`))
  })

  it("is free again after the holder is SIGKILLed", async () => {
    const lockName = uniqueLockName()
    const first = startHolder(lockName)
    expect(await first.line).toBe("acquired")
    const second = startHolder(lockName)
    expect(await second.line).toBe(`already running (pid ${first.child.pid})`)
    first.child.kill("SIGKILL")
    await exited(first.child)
    const third = startHolder(lockName)
    expect(await third.line).toBe("acquired")
  })

  it("is released when the scope closes", async () => {
    const lockName = `\0${uniqueLockName()}`
    const first = await acquireIn(acquireSingleton({ lockName }))
    expect(first.result).toEqual({ _tag: "Acquired" })
    const second = await acquireIn(acquireSingleton({ lockName }))
    expect(second.result).toEqual({ _tag: "AlreadyRunning", pid: process.pid })
    await second.release()
    await first.release()
    const third = await acquireIn(acquireSingleton({ lockName }))
    expect(third.result).toEqual({ _tag: "Acquired" })
    await third.release()
  })
})

describe("lock-file singleton (the non-Linux fallback)", () => {
  let dir: string
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  const deadPid = async () => {
    const child = spawn(process.execPath, ["-e", "0"])
    await exited(child)
    return child.pid!
  }

  it("acquires, refuses a second holder while alive, and removes the file on release", async () => {
    dir = makeTempDir("hookd-lockfile-")
    const file = join(dir, "sub", "hookd.lock")
    const first = await acquireIn(acquireLockFile(file))
    expect(first.result).toEqual({ _tag: "Acquired" })
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({
      pid: process.pid,
      fingerprint: processFingerprint(process.pid)
    })
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const second = await acquireIn(acquireLockFile(file))
    expect(second.result).toEqual({ _tag: "AlreadyRunning", pid: process.pid })
    await second.release()
    expect(fs.existsSync(file)).toBe(true)
    await first.release()
    expect(fs.existsSync(file)).toBe(false)
  })

  it("takes over a lock whose holder is dead", async () => {
    dir = makeTempDir("hookd-lockfile-")
    const file = join(dir, "hookd.lock")
    fs.writeFileSync(file, JSON.stringify({ pid: await deadPid(), fingerprint: "boot:1" }))
    const taken = await acquireIn(acquireLockFile(file))
    expect(taken.result).toEqual({ _tag: "Acquired" })
    expect(JSON.parse(fs.readFileSync(file, "utf8")).pid).toBe(process.pid)
    await taken.release()
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it("takes over a lock whose pid now belongs to another process (fingerprint differs)", async () => {
    dir = makeTempDir("hookd-lockfile-")
    const file = join(dir, "hookd.lock")
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, fingerprint: "another-boot:12345" }))
    const taken = await acquireIn(acquireLockFile(file))
    expect(taken.result).toEqual({ _tag: "Acquired" })
    await taken.release()
  })

  it("refuses a lock file that is not hookd's and leaves it alone", async () => {
    dir = makeTempDir("hookd-lockfile-")
    const file = join(dir, "hookd.lock")
    fs.writeFileSync(file, "something else")
    const exit = await Effect.runPromiseExit(Effect.scoped(acquireLockFile(file)))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe("something else")
  })
})

describe("holderIsProvablyDead", () => {
  const holder = { pid: 4242, fingerprint: "boot:100" }
  it.each([
    ["same fingerprint: alive", "boot:100", true, false],
    ["other fingerprint: pid reused", "boot:999", true, true],
    ["no fingerprint, no process: dead", undefined, false, true],
    ["no fingerprint but the pid exists: not provably dead", undefined, true, false]
  ] as const)("%s", (_, fingerprint, exists, dead) => {
    expect(holderIsProvablyDead(holder, () => fingerprint, () => exists)).toBe(dead)
  })
})
