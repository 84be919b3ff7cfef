import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { Effect, Either } from "effect"
import { prepareSocketPath, socketDirProblem } from "../../src/supervisor/socket-path"
import { firstLine, makeTempDir } from "./support"

let dir: string
beforeEach(() => {
  dir = makeTempDir("hookd-socket-path-")
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const prepare = (path: string) => Effect.runPromise(Effect.either(prepareSocketPath(path)))

/** Leaves a real stale socket file behind: a process listens on it and is SIGKILLed. */
const leaveStaleSocket = async (path: string) => {
  const script = `require("node:net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] })
  expect(await firstLine(child.stdout!)).toBe("up")
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill("SIGKILL")
  await exited
}

describe("prepareSocketPath", () => {
  it("creates missing directories with mode 0700", async () => {
    const path = join(dir, "a", "b", "hookd.sock")
    expect(Either.isRight(await prepare(path))).toBe(true)
    expect(fs.statSync(join(dir, "a", "b")).mode & 0o777).toBe(0o700)
    expect(fs.existsSync(path)).toBe(false)
  })

  it("removes a stale socket file", async () => {
    const sockDir = join(dir, "run")
    fs.mkdirSync(sockDir, { mode: 0o700 })
    const path = join(sockDir, "hookd.sock")
    await leaveStaleSocket(path)
    expect(fs.lstatSync(path).isSocket()).toBe(true)
    expect(Either.isRight(await prepare(path))).toBe(true)
    expect(fs.existsSync(path)).toBe(false)
  })

  it("refuses a regular file at the socket path and leaves it intact", async () => {
    const sockDir = join(dir, "run")
    fs.mkdirSync(sockDir, { mode: 0o700 })
    const path = join(sockDir, "hookd.sock")
    fs.writeFileSync(path, "precious")
    const result = await prepare(path)
    expect(Either.isLeft(result) && result.left.reason).toBe("NotASocket")
    expect(fs.readFileSync(path, "utf8")).toBe("precious")
  })

  it("refuses an existing directory more open than 0700, naming the chmod that fixes it", async () => {
    const sockDir = join(dir, "open")
    fs.mkdirSync(sockDir)
    fs.chmodSync(sockDir, 0o755)
    const result = await prepare(join(sockDir, "hookd.sock"))
    expect(Either.isLeft(result) && result.left.reason).toBe("DirTooOpen")
    expect(Either.isLeft(result) && result.left.message).toContain(`chmod 700 ${sockDir}`)
    expect(fs.statSync(sockDir).mode & 0o777).toBe(0o755)
  })
})

describe("socketDirProblem", () => {
  const stat = (isDirectory: boolean, uid: number, mode: number) => ({ isDirectory: () => isDirectory, uid, mode })
  it.each([
    ["a private directory of ours", stat(true, 1000, 0o40700), undefined],
    ["not a directory", stat(false, 1000, 0o100600), "NotADirectory"],
    ["owned by someone else", stat(true, 0, 0o40700), "DirNotOwned"],
    ["group-readable", stat(true, 1000, 0o40750), "DirTooOpen"],
    ["world-writable", stat(true, 1000, 0o40777), "DirTooOpen"]
  ] as const)("%s", (_, s, reason) => {
    expect(socketDirProblem("/run/x", s, 1000)?.reason).toBe(reason)
  })
})
