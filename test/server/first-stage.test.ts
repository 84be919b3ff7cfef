// The loader's first stage (src/supervisor/first-stage.ts), in process with a `load` the test
// controls: it answers Hellos exactly as the supervisor does, holds every other request unread until
// the supervisor claims the socket, and leaves everything as it found it when it cannot serve.
import * as fs from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Either } from "effect"
import * as fc from "effect/FastCheck"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { decodeRequest } from "../../src/protocol/codec"
import { encodeFrame, FrameDecoder } from "../../src/protocol/framing"
import { response } from "../../src/protocol/types"
import { readSettings } from "../../src/settings/read-settings"
import { firstStageLink, type FirstStageLink } from "../../src/supervisor/first-stage-link"
import { runFirstStage, welcomeFrameFor } from "../../src/supervisor/first-stage"
import { TestClient } from "../support/supervisor"

/** Reads `length` bytes from a (paused) socket. */
const readBytes = (socket: net.Socket, length: number): Promise<Buffer> =>
  new Promise((resolve) => {
    const chunks: Array<Buffer> = []
    let total = 0
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      total += chunk.length
      if (total < length) return
      socket.off("data", onData)
      socket.pause()
      resolve(Buffer.concat(chunks))
    }
    socket.on("data", onData)
    socket.resume()
  })

/** Returns after a poll phase of the event loop: bytes already in a socket's kernel buffer have been read. */
const afterPoll = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve))
}

const HELLO = { v: 1, id: "h", req: "Hello", payload: { client: "test", client_version: "0" } }
const body = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value))

describe("welcomeFrameFor", () => {
  const settings = readSettings([], { HOOKD_STATE_DIR: "/state", HOOKD_SOCKET: "/run/s.sock" }, "1.2.3")
  const welcome = { server_version: "1.2.3", protocol_versions: [1], pid: 42, started_at: settings.startedAt, state_dir: "/state", log_format: 2 }

  it("answers a Hello with the frame the supervisor's handler sends (with and without an id)", () => {
    expect(welcomeFrameFor(body(HELLO), settings, 42)).toEqual(encodeFrame(response("Welcome", welcome, "h")))
    const { id: _id, ...noId } = HELLO
    expect(welcomeFrameFor(body(noId), settings, 42)).toEqual(encodeFrame(response("Welcome", welcome)))
    // Unknown fields are ignored, as the supervisor's decoding ignores them.
    expect(welcomeFrameFor(body({ ...HELLO, extra: 1, payload: { ...HELLO.payload, more: true } }), settings, 42)).toEqual(
      encodeFrame(response("Welcome", welcome, "h"))
    )
  })

  it.each([
    ["not JSON", "{"],
    ["a JSON array", "[1]"],
    ["null", "null"],
    ["another request", { ...HELLO, req: "Status", payload: {} }],
    ["no version", { ...HELLO, v: undefined }],
    ["an unsupported version", { ...HELLO, v: 2 }],
    ["a version as a string", { ...HELLO, v: "1" }],
    ["a numeric id", { ...HELLO, id: 7 }],
    ["no payload", { ...HELLO, payload: undefined }],
    ["a payload without client_version", { ...HELLO, payload: { client: "x" } }],
    ["a numeric client", { ...HELLO, payload: { client: 1, client_version: "0" } }]
  ])("leaves %s to the supervisor", (_what, value) => {
    expect(welcomeFrameFor(body(value), settings, 42)).toBeUndefined()
  })

  it("leaves a Hello whose bytes are not UTF-8 to the supervisor (which answers BAD_FRAME)", () => {
    const notUtf8 = Buffer.concat([Buffer.from('{"v":1,"req":"Hello","payload":{"client":"'), Buffer.from([0xff]), Buffer.from('","client_version":"0"}}')])
    expect(welcomeFrameFor(notUtf8, settings, 42)).toBeUndefined()
  })
})

describe("welcomeFrameFor against the supervisor's decoding", () => {
  const settings = readSettings([], { HOOKD_STATE_DIR: "/state", HOOKD_SOCKET: "/run/s.sock" }, "1.2.3")
  // A Hello with up to three of its fields removed or replaced (by another type, another version,
  // another request name), or extra fields added: about a third stay valid Hellos.
  const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string()), fc.constant(2), fc.constant("Status"), fc.constant({}))
  const change = fc.record({
    key: fc.constantFrom("v", "id", "req", "payload", "client", "client_version", "extra"),
    remove: fc.boolean(),
    value
  })
  const envelope = fc.array(change, { maxLength: 3 }).map((changes) => {
    const payload: Record<string, unknown> = { client: "c", client_version: "1" }
    const raw: Record<string, unknown> = { v: 1, id: "h", req: "Hello", payload }
    for (const { key, remove, value } of changes) {
      const target = key === "client" || key === "client_version" ? payload : raw
      if (remove) delete target[key]
      else target[key] = value
    }
    return raw
  })

  it("answers exactly the frames the supervisor decodes as a Hello, with the same id", () => {
    fc.assert(
      fc.property(envelope, (value) => {
        const raw = JSON.parse(JSON.stringify(value)) as Record<string, unknown>
        const decoded = decodeRequest(raw)
        const isHello = Either.isRight(decoded) && decoded.right.req === "Hello"
        const frame = welcomeFrameFor(body(raw), settings, 42)
        expect(frame !== undefined).toBe(isHello)
        if (frame !== undefined && Either.isRight(decoded)) {
          expect(JSON.parse(frame.subarray(4).toString()).id).toBe(decoded.right.id)
        }
      }),
      { numRuns: 2000 }
    )
  })
})

describe("runFirstStage", () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  let links: Array<FirstStageLink>
  let clients: Array<TestClient>
  beforeEach(() => {
    dir = fs.mkdtempSync(join(tmpdir(), "hookd-first-stage-"))
    env = { HOOKD_STATE_DIR: join(dir, "state"), HOOKD_SOCKET: join(dir, "run", "hookd.sock") }
    links = []
    clients = []
  })
  afterEach(() => {
    for (const c of clients) c.close()
    for (const link of links) link.release()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  /** Runs a first stage; `loaded` resolves when it hands over to the (here absent) supervisor. */
  const start = (argv: ReadonlyArray<string> = [], options: { readonly adopt: boolean } = { adopt: true }) => {
    const before = firstStageLink()
    let loaded!: () => void
    const whenLoaded = new Promise<void>((resolve) => (loaded = resolve))
    const load = () => {
      // What the supervisor's main does as its bundle runs.
      if (options.adopt) firstStageLink()?.adopt()
      loaded()
    }
    runFirstStage({ argv, env, version: "9.9.9", load })
    return {
      whenLoaded,
      /** The link it published, once listening (undefined when it fell back to the supervisor). */
      link: async (): Promise<FirstStageLink | undefined> => {
        await Promise.race([whenLoaded, untilSocket()])
        const link = firstStageLink()
        if (link === before || link === undefined) return undefined
        links.push(link)
        return link
      }
    }
  }
  const untilSocket = async () => {
    // The socket file appears during listen(); its 'listening' event follows in the same turn.
    while (!fs.existsSync(env.HOOKD_SOCKET!)) await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
  }
  const connect = async () => {
    const c = await TestClient.connect(env.HOOKD_SOCKET!)
    clients.push(c)
    return c
  }
  const untilLinked = async (stage: ReturnType<typeof start>) => {
    const link = await stage.link()
    if (link === undefined) throw new Error("the first stage fell back")
    return link
  }

  it("answers Hellos, loads the supervisor after its first answer, and hands over unread requests byte for byte", async () => {
    const stage = start()
    const link = await untilLinked(stage)
    expect(fs.statSync(env.HOOKD_SOCKET!).mode & 0o777).toBe(0o600)

    const first = await connect()
    const welcome = await first.request("Hello", { client: "t", client_version: "0" })
    expect(welcome).toEqual(
      response("Welcome", { server_version: "9.9.9", protocol_versions: [1], pid: process.pid, started_at: link.settings.startedAt, state_dir: env.HOOKD_STATE_DIR!, log_format: 2 }, "1")
    )
    await stage.whenLoaded
    expect(link.answered()).toBe(1)

    // Until claimed it keeps answering Hellos; a Status (and what follows it) waits for the supervisor.
    const second = await connect()
    const status = encodeFrame({ v: 1, id: "s", req: "Status" })
    const partial = encodeFrame({ v: 1, id: "x", req: "Shutdown" }).subarray(0, 7)
    await second.write(Buffer.concat([encodeFrame(HELLO), status, partial]))
    expect((await second.next()).kind).toBe("Welcome")
    expect(link.answered()).toBe(2)

    const claimed = link.claim()
    expect(claimed.server.listening).toBe(true)
    expect(claimed.connections).toHaveLength(2)
    // The second connection's unread bytes were put back: the supervisor reads the Status first.
    const handed = claimed.connections.find((socket) => socket.readableLength > 0)!
    const expected = Buffer.concat([status, partial])
    expect(await readBytes(handed, expected.length)).toEqual(expected)
    expect(new FrameDecoder().push(expected)).toHaveLength(1)

    // Claimed: new connections are the claimer's, not answered by the first stage.
    const accepted = new Promise<net.Socket>((resolve) => claimed.server.once("connection", resolve))
    await connect()
    const socket = await accepted
    expect(socket.listenerCount("data")).toBe(0)
    socket.destroy()
    claimed.server.close()
  })

  it("release closes the socket (the file goes), the connections and the lock: the next first stage serves", async () => {
    const stage = start()
    const link = await untilLinked(stage)
    const c = await connect()
    link.release()
    await c.closed
    expect(fs.existsSync(env.HOOKD_SOCKET!)).toBe(false)
    links.length = 0
    const again = start()
    expect(await again.link()).toBeDefined()
  })

  it("closes the socket and frees the lock when the loaded bundle does not take over (a damaged file)", async () => {
    const stage = start([], { adopt: false })
    await untilLinked(stage)
    const c = await connect()
    await c.sendFrame({ v: 1, id: "s", req: "Status" })
    await stage.whenLoaded
    await c.closed
    expect(fs.existsSync(env.HOOKD_SOCKET!)).toBe(false)
    links.length = 0
    expect(await start().link()).toBeDefined()
  })

  it("loads the supervisor at once, taking and changing nothing, when another holds the lock", async () => {
    await untilLinked(start())
    const listenersBefore = process.listenerCount("SIGTERM")
    const second = start()
    await second.whenLoaded
    expect(firstStageLink()).toBe(links[0])
    expect(process.listenerCount("SIGTERM")).toBe(listenersBefore)
  })

  it("loads the supervisor at once, with the lock free again and the file untouched, for a socket path it must refuse", async () => {
    fs.mkdirSync(join(dir, "run"), { mode: 0o700 })
    fs.writeFileSync(env.HOOKD_SOCKET!, "not a socket")
    await start().whenLoaded
    expect(fs.readFileSync(env.HOOKD_SOCKET!, "utf8")).toBe("not a socket")
    fs.rmSync(env.HOOKD_SOCKET!)
    expect(await start().link()).toBeDefined()
  })

  it.each([[["--version"]], [["--help"]], [["--bogus"]], [["--idle-exit", "soon"]]])("leaves %j to the supervisor", async (argv) => {
    await start(argv).whenLoaded
    expect(fs.existsSync(env.HOOKD_STATE_DIR!)).toBe(false)
  })

  it("keeps a signal for the supervisor and stops answering Hellos itself", async () => {
    const stage = start()
    const link = await untilLinked(stage)
    const c = await connect()
    expect((await c.request("Hello", { client: "t", client_version: "0" })).kind).toBe("Welcome")
    await stage.whenLoaded
    process.emit("SIGHUP", "SIGHUP")
    const hello = encodeFrame(HELLO)
    await c.write(hello)
    await afterPoll()
    const [socket] = link.claim().connections
    // Not answered: the Hello is still there for the supervisor, which answers BUSY while it stops.
    expect(await readBytes(socket!, hello.length)).toEqual(hello)
    expect(link.answered()).toBe(1)
    expect(link.takeSignal()).toBe("SIGHUP")
    // The supervisor listens from now on: the first stage no longer does.
    const listening = process.listenerCount("SIGHUP")
    link.release()
    expect(process.listenerCount("SIGHUP")).toBe(listening)
  })
})
