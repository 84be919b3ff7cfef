import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { takeActivationFd } from "../../src/supervisor/socket-activation"
import { ask, bundleFixture, connect, hello, makeTempDir } from "./support"

describe("takeActivationFd", () => {
  const activationEnv = (pid: string): NodeJS.ProcessEnv => ({
    LISTEN_FDS: "1",
    LISTEN_PID: pid,
    LISTEN_FDNAMES: "hookd.socket",
    PATH: "/usr/bin"
  })

  it("returns fd 3 when one socket was passed to this process, and removes the variables", () => {
    const env = activationEnv(String(process.pid))
    expect(takeActivationFd(env)).toBe(3)
    expect(env).toEqual({ PATH: "/usr/bin" })
  })

  it("ignores sockets meant for another process, and still removes the variables", () => {
    const env = activationEnv(String(process.pid + 1))
    expect(takeActivationFd(env)).toBeUndefined()
    expect(env).toEqual({ PATH: "/usr/bin" })
  })

  it("ignores more than one passed socket", () => {
    const env = { ...activationEnv(String(process.pid)), LISTEN_FDS: "2" }
    expect(takeActivationFd(env)).toBeUndefined()
    expect(env).toEqual({ PATH: "/usr/bin" })
  })

  it("returns undefined without activation variables", () => {
    expect(takeActivationFd({ PATH: "/usr/bin" })).toBeUndefined()
  })
})

const hasSocketActivate = spawnSync("systemd-socket-activate", ["--help"], { stdio: "ignore" }).error === undefined

describe.skipIf(!hasSocketActivate)("serving an inherited fd 3 under systemd-socket-activate", () => {
  let dir: string
  let fixture: string
  let activator: ChildProcess | undefined

  beforeAll(async () => {
    dir = makeTempDir("hookd-activation-")
    fixture = await bundleFixture("activated-server", dir)
  })
  afterEach(async () => {
    if (activator && activator.exitCode === null && activator.signalCode === null) {
      const exited = new Promise((resolve) => activator!.once("exit", resolve))
      activator.kill("SIGKILL")
      await exited
    }
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("answers the first connection, and the server no longer sees LISTEN_*", async () => {
    const path = join(dir, "a.sock")
    activator = spawn("systemd-socket-activate", ["-l", path, process.execPath, fixture], {
      stdio: ["ignore", "ignore", "pipe"]
    })
    // It prints "Listening on <path> as 3." once the socket is bound.
    await new Promise<void>((resolve, reject) => {
      let text = ""
      activator!.stderr!.on("data", (data: Buffer) => {
        text += data.toString()
        if (text.includes("Listening on")) resolve()
      })
      activator!.once("exit", (code) => reject(new Error(`systemd-socket-activate exited ${code}: ${text}`)))
    })
    const client = await connect(path)
    try {
      const answer = await ask(client, hello("activated"))
      expect(answer).toMatchObject({
        id: "activated",
        kind: "Welcome",
        payload: { server_version: "activated", pid: activator.pid, state_dir: "LISTEN_FDS=unset LISTEN_PID=unset" }
      })
    } finally {
      client.close()
    }
  })
})
