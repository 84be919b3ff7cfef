// The socket server's fast path (issue 13): a request `answerNow` can answer (Hello, Status) is
// answered from the 'data' callback, and the answers to requests that came in one read leave in
// one write — a command's Hello and its request, `ls`'s page and its Status — so the client wakes
// once. A held answer never waits long for a handler that has nothing to say yet.
import * as fs from "node:fs"
import * as net from "node:net"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { encodeFrame, FrameDecoder } from "../../src/protocol/framing"
import { response, type RequestEnvelope, type ResponseEnvelope } from "../../src/protocol/types"
import { hello, makeTempDir, startServer, tail, toyHandler, type RunningServer } from "./support"

let dir: string
let socketPath: string
let server: RunningServer | undefined
const sockets: Array<net.Socket> = []

const STATUS = { pid: 1, uptime_ms: 1, repos: 0, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: "test" }
const status = (id: string) => ({ v: 1, id, req: "Status", payload: {} })
const listJobs = (id: string) => ({ v: 1, id, req: "ListJobs", payload: { repo_root: "/repo" } })

/** Hello and Status from memory, as the supervisor's dispatcher answers them; the rest to the toy handler. */
const answerNow = (request: RequestEnvelope): ResponseEnvelope | undefined =>
  request.req === "Hello"
    ? response("Welcome", { server_version: "test", protocol_versions: [1], pid: process.pid, started_at: 0, state_dir: "/state" }, request.id)
    : request.req === "Status"
      ? response("SupervisorStatus", STATUS, request.id)
      : undefined

const start = async (draining = false) => {
  server = await startServer({
    listen: { _tag: "Path", path: socketPath },
    handler: toyHandler(),
    answerNow,
    isDraining: Effect.succeed(draining)
  })
}

/** The ids of the answers in each write the server made on its side of a connection (the server runs in this process). */
const serverWrites: Array<Array<string | undefined>> = []
const originalWrite = net.Socket.prototype.write
const idsIn = (bytes: Buffer): Array<string | undefined> =>
  new FrameDecoder().push(bytes).map((body) => (JSON.parse(body.toString("utf8")) as { id?: string }).id)

/** Sends `requests` in one write, reads until `count` answers came, and returns the server's writes (ids in each). */
const exchange = (requests: ReadonlyArray<unknown>, count: number): Promise<Array<Array<string | undefined>>> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(socketPath)
    sockets.push(socket)
    const decoder = new FrameDecoder()
    let answers = 0
    socket.on("data", (chunk) => {
      answers += decoder.push(chunk).length
      if (answers >= count) resolve(serverWrites)
    })
    socket.on("error", reject)
    socket.write(Buffer.concat(requests.map(encodeFrame)))
  })

beforeEach(() => {
  dir = makeTempDir()
  socketPath = join(dir, "hookd.sock")
  serverWrites.length = 0
  // Accepted sockets have `server` set; the test's own client sockets do not.
  net.Socket.prototype.write = function (this: net.Socket & { server?: unknown }, ...args: Parameters<net.Socket["write"]>) {
    if (this.server !== undefined && this.server !== null && Buffer.isBuffer(args[0])) serverWrites.push(idsIn(args[0]))
    return originalWrite.apply(this, args)
  } as net.Socket["write"]
})

afterEach(async () => {
  net.Socket.prototype.write = originalWrite
  for (const socket of sockets.splice(0)) socket.destroy()
  await server?.close()
  server = undefined
  fs.rmSync(dir, { recursive: true, force: true })
})

describe("answers to requests that came in one write", () => {
  it("Hello and Status, answered from memory, leave in one write", async () => {
    await start()
    expect(await exchange([hello("h"), status("s")], 2)).toEqual([["h", "s"]])
  })

  it("a handler's answer carries the Welcome held for it, and the Status queued behind it", async () => {
    await start()
    // The toy handler answers ListJobs with an error frame of its own, after a fiber hop.
    expect(await exchange([hello("h"), listJobs("l"), status("s")], 3)).toEqual([["h", "l", "s"]])
  })

  it("a held Welcome is written all the same while the handler has nothing to say yet (a follow)", async () => {
    await start()
    expect(await exchange([hello("h"), tail(0, true, "t")], 1)).toEqual([["h"]])
  })

  it("answerNow is not asked while draining: every request is answered BUSY", async () => {
    await start(true)
    const socket = net.connect(socketPath)
    sockets.push(socket)
    const decoder = new FrameDecoder()
    const answers: Array<{ id?: string; payload: { code?: string } }> = []
    await new Promise<void>((resolve) => {
      socket.on("data", (chunk) => {
        for (const body of decoder.push(chunk)) answers.push(JSON.parse(body.toString("utf8")))
        if (answers.length === 2) resolve()
      })
      socket.write(Buffer.concat([hello("h"), status("s")].map(encodeFrame)))
    })
    expect(answers.map((a) => [a.id, a.payload.code])).toEqual([
      ["h", "BUSY"],
      ["s", "BUSY"]
    ])
  })
})
