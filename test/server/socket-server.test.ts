import * as fs from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { Cause, Deferred, Effect } from "effect"
import { encodeFrame } from "../../src/protocol/framing"
import { MAX_FRAME_BYTES } from "../../src/protocol/types"
import { INTERNAL_ERROR_MESSAGE, type ServeOptions } from "../../src/supervisor/socket-server"
import { ConnectionFailed, type FramedClient } from "../../src/protocol/client"
import {
  ask,
  connect,
  hello,
  makeTempDir,
  notDraining,
  startServer,
  tail,
  toyHandler,
  untilConnectionCount,
  type RunningServer
} from "./support"

let dir: string
let socketPath: string
let server: RunningServer | undefined
const clients: Array<FramedClient> = []

const start = async (options: Partial<ServeOptions> = {}) => {
  server = await startServer({
    listen: { _tag: "Path", path: socketPath },
    handler: toyHandler(),
    isDraining: notDraining,
    ...options
  })
  return server
}

const client = async () => {
  const c = await connect(socketPath)
  clients.push(c)
  return c
}

beforeEach(() => {
  dir = makeTempDir()
  socketPath = join(dir, "hookd.sock")
})

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await server?.close()
  server = undefined
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("framing on one connection", () => {
  it("answers many sequential requests on one connection, echoing ids", async () => {
    await start()
    const c = await client()
    for (let i = 0; i < 50; i++) {
      const answer = await ask(c, hello(`req-${i}`))
      expect(answer).toMatchObject({ v: 1, id: `req-${i}`, kind: "Welcome", payload: { pid: process.pid } })
    }
  })

  it("answers pipelined requests sent in one write, in order", async () => {
    await start()
    const c = await client()
    await c.write(Buffer.concat([hello("a"), hello("b"), hello("c")].map(encodeFrame)))
    const ids = [await c.next(), await c.next(), await c.next()].map((r) => r.id)
    expect(ids).toEqual(["a", "b", "c"])
  })

  it("decodes a request that arrives one byte at a time", async () => {
    await start()
    const c = await client()
    const frame = encodeFrame(hello("slow"))
    for (const byte of frame) await c.write(Uint8Array.of(byte))
    expect(await c.next()).toMatchObject({ id: "slow", kind: "Welcome" })
  })
})

describe("protocol errors", () => {
  it("answers an unsupported version with SCHEMA_MISMATCH and keeps the connection", async () => {
    await start()
    const c = await client()
    const answer = await ask(c, { ...hello("v2"), v: 2 })
    expect(answer).toMatchObject({ id: "v2", kind: "Error", payload: { code: "SCHEMA_MISMATCH" } })
    expect(await ask(c, hello("after"))).toMatchObject({ id: "after", kind: "Welcome" })
  })

  it("answers a non-JSON body with BAD_FRAME and keeps the connection", async () => {
    await start()
    const c = await client()
    const garbage = Buffer.from("{not json", "utf8")
    const header = Buffer.alloc(4)
    header.writeUInt32BE(garbage.length, 0)
    await c.write(Buffer.concat([header, garbage]))
    expect(await c.next()).toMatchObject({ kind: "Error", payload: { code: "BAD_FRAME" } })
    expect(await ask(c, hello("after"))).toMatchObject({ id: "after", kind: "Welcome" })
  })

  it("answers an oversize header with FRAME_TOO_LARGE and closes the connection", async () => {
    await start()
    const c = await client()
    const header = Buffer.alloc(4)
    header.writeUInt32BE(9 * 1024 * 1024, 0)
    await c.write(header)
    const answer: any = await c.next()
    expect(answer).toMatchObject({ kind: "Error", payload: { code: "FRAME_TOO_LARGE" } })
    expect(answer.payload.message).toContain(String(MAX_FRAME_BYTES))
    await c.closed
    await expect(c.next()).rejects.toThrow(ConnectionFailed)
  })

  it("answers an unknown request with BAD_REQUEST echoing the id, and keeps the connection", async () => {
    await start()
    const c = await client()
    const answer = await ask(c, { v: 1, id: "x1", req: "Frobnicate", payload: {} })
    expect(answer).toMatchObject({ id: "x1", kind: "Error", payload: { code: "BAD_REQUEST" } })
    expect(await ask(c, hello("after"))).toMatchObject({ id: "after", kind: "Welcome" })
  })

  it("answers a handler defect with INTERNAL, no stack on the wire, and reports the cause", async () => {
    const reported: Array<Cause.Cause<unknown>> = []
    await start({ onInternalError: (cause) => Effect.sync(() => void reported.push(cause)) })
    const c = await client()
    const answer = await ask(c, { v: 1, id: "s", req: "Status", payload: {} })
    expect(answer).toEqual({ v: 1, id: "s", kind: "Error", payload: { code: "INTERNAL", message: INTERNAL_ERROR_MESSAGE } })
    const wire = JSON.stringify(answer)
    expect(wire).not.toContain("SECRET-STACK-MARKER")
    expect(wire).not.toMatch(/\bat .*:\d+:\d+/)
    expect(reported).toHaveLength(1)
    expect(Cause.pretty(reported[0])).toContain("SECRET-STACK-MARKER")
    expect(await ask(c, hello("after"))).toMatchObject({ id: "after", kind: "Welcome" })
  })

  it("answers every request with BUSY while draining", async () => {
    let draining = false
    await start({ isDraining: Effect.sync(() => draining) })
    const c = await client()
    expect(await ask(c, hello("before"))).toMatchObject({ kind: "Welcome" })
    draining = true
    expect(await ask(c, hello("during"))).toMatchObject({
      id: "during",
      kind: "Error",
      payload: { code: "BUSY", message: "shutting down" }
    })
  })
})

describe("limits", () => {
  it("rejects connections beyond the limit with BUSY, and serves again once there is room", async () => {
    // The plain limit: no slots kept for prompt frames (those are in test/faults/trickle.test.ts).
    const { handle } = await start({ maxConnections: 256, reservedConnections: 0 })
    const all = await Promise.all(Array.from({ length: 300 }, () => client()))
    // A rejected client gets BUSY and then EOF; an accepted one gets nothing until it asks.
    const firstFrames = new Map<FramedClient, Promise<any>>(all.map((c) => [c, c.next()]))
    const closedClients = new Set<FramedClient>()
    const fortyFourClosed = new Promise<void>((resolve) => {
      for (const c of all) void c.closed.then(() => closedClients.add(c).size === 44 && resolve())
    })
    await fortyFourClosed
    await untilConnectionCount(handle, (n) => n === 256)
    const rejected: Array<FramedClient> = []
    const accepted: Array<FramedClient> = []
    for (const c of all) {
      if (closedClients.has(c)) {
        expect(await firstFrames.get(c)).toMatchObject({ kind: "Error", payload: { code: "BUSY" } })
        rejected.push(c)
      } else {
        await c.sendFrame(hello("probe"))
        expect(await firstFrames.get(c)).toMatchObject({ id: "probe", kind: "Welcome" })
        accepted.push(c)
      }
    }
    expect(rejected).toHaveLength(44)
    expect(accepted).toHaveLength(256)

    for (const c of accepted.slice(0, 10)) c.close()
    await untilConnectionCount(handle, (n) => n === 246)
    const late = await client()
    expect(await ask(late, hello("late"))).toMatchObject({ id: "late", kind: "Welcome" })
  })

  it("closes a connection whose partial frame stalls, but not an idle one", async () => {
    await start({ partialFrameTimeoutMs: 300 })
    const idle = await client()
    expect(await ask(idle, hello("idle"))).toMatchObject({ kind: "Welcome" })
    const stalled = await client()
    const frame = encodeFrame(hello("never finished"))
    await stalled.write(frame.subarray(0, 6))
    await stalled.closed
    // The idle connection has been quiet at least as long as the stalled one: still served.
    expect(await ask(idle, hello("still here"))).toMatchObject({ id: "still here", kind: "Welcome" })
  })
})

describe("streaming", () => {
  it("delivers 100k stream frames complete and in order, then StreamEnd", async () => {
    await start()
    const c = await client()
    await c.sendFrame(tail(100_000, false, "t"))
    for (let seq = 0; seq < 100_000; seq++) {
      const frame = await c.next()
      if (frame?.kind !== "StreamFrame" || frame.payload.record.seq !== seq) {
        expect.fail(`frame ${seq}: ${JSON.stringify(frame)}`)
      }
    }
    expect(await c.next()).toMatchObject({ id: "t", kind: "StreamEnd", payload: { reason: "replayed" } })
    expect(await ask(c, hello("after"))).toMatchObject({ kind: "Welcome" })
  })

  it("interrupts the handler's stream when the client disconnects mid-stream", async () => {
    const followInterrupted = Deferred.unsafeMake<void>(Effect.runSync(Effect.fiberId))
    await start({ handler: toyHandler({ followInterrupted }) })
    const c = await client()
    await c.sendFrame(tail(5, true))
    for (let i = 0; i < 5; i++) expect(await c.next()).toMatchObject({ kind: "StreamFrame" })
    expect(await Effect.runPromise(Deferred.isDone(followInterrupted))).toBe(false)
    c.close()
    await Effect.runPromise(Deferred.await(followInterrupted))
  })

  it("ends open streams and closes clients when the server's scope closes", async () => {
    const followInterrupted = Deferred.unsafeMake<void>(Effect.runSync(Effect.fiberId))
    const running = await start({ handler: toyHandler({ followInterrupted }) })
    const c = await client()
    await c.sendFrame(tail(1, true))
    expect(await c.next()).toMatchObject({ kind: "StreamFrame" })
    await running.close()
    server = undefined
    await Effect.runPromise(Deferred.await(followInterrupted))
    await c.closed
  })
})

describe("the socket file", () => {
  it("is created 0600 and removed when the scope closes", async () => {
    fs.chmodSync(dir, 0o700)
    const running = await start()
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true)
    expect(fs.lstatSync(socketPath).mode & 0o777).toBe(0o600)
    await running.close()
    server = undefined
    expect(fs.existsSync(socketPath)).toBe(false)
  })

  it("stops accepting on stopAccepting while an open connection is still served", async () => {
    const running = await start()
    const c = await client()
    await Effect.runPromise(running.handle.stopAccepting)
    await expect(connect(socketPath)).rejects.toThrow()
    expect(await ask(c, hello("open"))).toMatchObject({ kind: "Welcome" })
  })
})
