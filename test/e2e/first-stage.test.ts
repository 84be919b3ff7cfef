// The supervisor's first answers come from the loader's first stage while its bundle loads (issue 13,
// start-up): a client that connects the moment the socket appears is answered as the supervisor
// answers, its further requests reach the supervisor in order, and a signal in that window is a
// graceful stop. Black-box: the real dist/hookd.mjs, connections made as soon as the socket file exists.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, watch } from "node:fs"
import { basename, dirname } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import type { ConnectError } from "../../src/protocol/client"
import { encodeFrame } from "../../src/protocol/framing"
import { HOOKD_BUNDLE, makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox | undefined
let child: ChildProcess | undefined
afterEach(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once("exit", resolve))
    child.kill("SIGKILL")
    await exited
  }
  child = undefined
  sandbox?.cleanup()
})

/** Spawns hookd and connects as soon as its socket file appears (the run dir is made first, 0700, and watched). */
const spawnAndConnect = async (box: Sandbox) => {
  mkdirSync(dirname(box.socket), { recursive: true, mode: 0o700 })
  const appeared = new Promise<void>((resolve) => {
    const watcher = watch(dirname(box.socket), (_event, name) => {
      if (name !== basename(box.socket) || !existsSync(box.socket)) return
      watcher.close()
      resolve()
    })
  })
  let output = ""
  const proc = spawn(process.execPath, [HOOKD_BUNDLE], { env: box.env, stdio: ["ignore", "pipe", "pipe"] })
  child = proc
  proc.stdout!.on("data", (d) => (output += d))
  proc.stderr!.on("data", (d) => (output += d))
  const exited = new Promise<number | string>((resolve) => proc.once("exit", (code, signal) => resolve(code ?? signal ?? -1)))
  await Promise.race([appeared, exited.then((code) => Promise.reject(new Error(`hookd exited ${code}: ${output}`)))])
  // bind() makes the file a moment before listen() accepts: a refusal in between is retried.
  for (;;) {
    try {
      const client = await TestClient.connect(box.socket)
      return { proc, client, exited, output: () => output }
    } catch (e) {
      if ((e as ConnectError).errno !== "ECONNREFUSED") throw e
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}

const HELLO = { v: 1, id: "h", req: "Hello", payload: { client: "test", client_version: "0" } }

describe("the first answers, while the supervisor loads", () => {
  it("a Hello and a Status sent in one write the moment the socket appears: a Welcome that the supervisor repeats, then its Status", async () => {
    sandbox = makeSandbox()
    const { proc, client, exited } = await spawnAndConnect(sandbox)
    try {
      await client.write(Buffer.concat([encodeFrame(HELLO), encodeFrame({ v: 1, id: "s", req: "Status" })]))
      const welcome = await client.next()
      expect(welcome).toMatchObject({ id: "h", kind: "Welcome", payload: { pid: proc.pid, state_dir: sandbox.stateDir } })
      expect(await client.next()).toMatchObject({ id: "s", kind: "SupervisorStatus", payload: { pid: proc.pid, running: 0 } })
      // The same connection, and a later one, are the supervisor's now: the same start time.
      expect(await client.request("Hello", { client: "test", client_version: "0" })).toEqual({ ...welcome, id: "1" })
      const later = await TestClient.connect(sandbox.socket)
      try {
        expect((await later.request("Hello", { client: "test", client_version: "0" })).payload).toEqual(welcome.payload)
      } finally {
        later.close()
      }
    } finally {
      client.close()
    }
    proc.kill("SIGTERM")
    expect(await exited).toBe(0)
  })

  it("SIGTERM right after the first Welcome: exit 0, the socket removed, and the next supervisor starts", async () => {
    sandbox = makeSandbox()
    const { proc, client, exited, output } = await spawnAndConnect(sandbox)
    expect((await client.request("Hello", { client: "test", client_version: "0" })).kind).toBe("Welcome")
    proc.kill("SIGTERM")
    expect(await exited).toBe(0)
    await client.closed
    expect(existsSync(sandbox.socket)).toBe(false)
    expect(output()).not.toMatch(/internal error|uncaught/)
    const next = await startSupervisor(sandbox)
    await next.stopCleanly()
  })
})
