// The singleton's name and the holder's proof (issue 14 items 2 and 4), against real files and sockets.
import { spawn } from "node:child_process"
import { Effect, Exit, Scope } from "effect"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import {
  canonicalStateDir,
  holderIsSameUser,
  inodesBoundTo,
  rotateSingletonId,
  singletonLockNameFor,
  uidOfProcess
} from "../../src/supervisor/singleton-name"
import { acquireSingleton } from "../../src/supervisor/singleton"

const dirs: string[] = []
const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "hookd-singleton-name-"))
  dirs.push(dir)
  return dir
}
const listen = (name: string) =>
  new Promise<Server>((resolve) => {
    const server = createServer()
    servers.push(server)
    server.listen({ path: name }, () => resolve(server))
  })

describe("the lock name", () => {
  it("is the same for a state dir and a symlink to it, and differs between state dirs", () => {
    const a = stateDir()
    const link = `${a}-link`
    symlinkSync(a, link)
    dirs.push(link)
    expect(singletonLockNameFor(canonicalStateDir(link))).toBe(singletonLockNameFor(canonicalStateDir(a)))
    expect(singletonLockNameFor(canonicalStateDir(`${a}/`))).toBe(singletonLockNameFor(canonicalStateDir(a)))
    expect(singletonLockNameFor(stateDir())).not.toBe(singletonLockNameFor(a))
  })

  it("carries 128 random bits kept in a 0600 file, not a guessable uid", () => {
    const dir = stateDir()
    const name = singletonLockNameFor(dir)
    const id = readFileSync(join(dir, "singleton-id"), "utf8").trim()
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(name).toBe(`\0hookd-${process.getuid!()}-${id}`)
    expect(statSync(join(dir, "singleton-id")).mode & 0o777).toBe(0o600)
  })

  it("refuses an id file others can read or that is not a regular file", () => {
    const dir = stateDir()
    writeFileSync(join(dir, "singleton-id"), "0".repeat(32))
    chmodSync(join(dir, "singleton-id"), 0o644)
    expect(() => singletonLockNameFor(dir)).toThrow(/not a private file of yours.*remove it/)
    rmSync(join(dir, "singleton-id"))
    mkdirSync(join(dir, "singleton-id"))
    expect(() => singletonLockNameFor(dir)).toThrow(/not a private file of yours/)
  })

  it("rotates only the squatted id: a newer one stays", () => {
    const dir = stateDir()
    const squatted = singletonLockNameFor(dir)
    rotateSingletonId(dir, squatted)
    const fresh = singletonLockNameFor(dir)
    expect(fresh).not.toBe(squatted)
    rotateSingletonId(dir, squatted) // a slower starter that saw the same squat
    expect(singletonLockNameFor(dir)).toBe(fresh)
  })
})

describe("a holder proves it is the same user", () => {
  it("finds the inodes of an abstract name in /proc/net/unix, ignoring node's NUL padding", () => {
    const text = [
      "Num       RefCount Protocol Flags    Type St Inode Path",
      "0000: 00000002 00000000 00010000 0001 01 501245 @hookd-0-abc@@@@@@@@",
      "0000: 00000003 00000000 00000000 0001 03 501300 @hookd-0-abc",
      "0000: 00000002 00000000 00010000 0001 01 501246 @hookd-0-abcd",
      "0000: 00000002 00000000 00010000 0001 01 501247 /run/user/0/bus"
    ].join("\n")
    expect([...inodesBoundTo("\0hookd-0-abc", text)]).toEqual(["501245", "501300"])
  })

  it("true for this process holding the name", async () => {
    const name = `\0hookd-test-${process.pid}-${Math.random().toString(16).slice(2)}`
    await listen(name)
    expect(holderIsSameUser(name, process.pid)).toBe(true)
  })

  it("false for a pid of ours that does not hold the name, and for no pid", async () => {
    const name = `\0hookd-test-${process.pid}-${Math.random().toString(16).slice(2)}`
    await listen(name)
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"])
    try {
      expect(holderIsSameUser(name, other.pid)).toBe(false)
      expect(holderIsSameUser(name, undefined)).toBe(false)
      expect(holderIsSameUser(`${name}-unbound`, process.pid)).toBe(false)
    } finally {
      other.kill("SIGKILL")
    }
  })

  it("reads the real uid of a process", () => {
    expect(uidOfProcess(process.pid)).toBe(process.getuid!())
    expect(uidOfProcess(2 ** 30)).toBeUndefined()
  })
})

describe("the lock file (platforms without abstract sockets)", () => {
  it("lives in the canonical state dir: a symlinked spelling finds the holder", async () => {
    const real = stateDir()
    const link = `${real}-link`
    symlinkSync(real, link)
    dirs.push(link)
    const scope = Effect.runSync(Scope.make())
    const first = await Effect.runPromise(acquireSingleton({ stateDir: link, platform: "darwin" }).pipe(Scope.extend(scope)))
    try {
      expect(first).toEqual({ _tag: "Acquired" })
      expect(readdirSync(real)).toContain("hookd.lock")
      const second = await Effect.runPromise(Effect.scoped(acquireSingleton({ stateDir: real, platform: "darwin" })))
      expect(second).toEqual({ _tag: "AlreadyRunning", pid: process.pid })
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
})
