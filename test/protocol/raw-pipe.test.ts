// The client's connection without node:net (protocol/raw-pipe.ts): when it is used, that it behaves
// as the net.Socket it stands in for (events, cork, backpressure, close), and that every connect it
// cannot make is made again through node:net, so failures read exactly as before.
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer, Socket, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { ConnectError, FramedClient, openSocket } from "../../src/protocol/client"
import { encodeFrame } from "../../src/protocol/framing"
import { RawPipeSocket, rawPipeAllowed, type ClientSocket } from "../../src/protocol/raw-pipe"
import { response } from "../../src/protocol/types"

let dir: string
let server: Server | undefined
const sockets: ClientSocket[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookd-raw-pipe-"))
})
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const s of sockets.splice(0)) s.destroy()
  if (server) await new Promise((resolve) => server!.close(resolve))
  server = undefined
  rmSync(dir, { recursive: true, force: true })
})

const ack = (message: string, id?: string) => encodeFrame(response("Ack", { message }, id))

/** A server at `<dir>/s.sock`; `chunks` are the data events of its connections as they came. */
const listen = async (onConnection: (socket: Socket) => void = () => undefined) => {
  const path = join(dir, "s.sock")
  const chunks: Buffer[] = []
  server = createServer((socket) => {
    socket.on("data", (chunk) => chunks.push(chunk))
    socket.on("error", () => undefined)
    onConnection(socket)
  })
  await new Promise<void>((resolve) => server!.listen(path, resolve))
  return { path, chunks }
}

const open = async (path: string) => {
  const socket = await openSocket(path)
  sockets.push(socket)
  return socket
}

/** The next connection's first chunk, as the server receives it. */
const firstChunk = () => new Promise<Buffer>((resolve) => server!.once("connection", (s: Socket) => s.once("data", resolve)))

describe("when the raw pipe is used", () => {
  const node20 = { node: "20.20.2" }
  it("on Node 20 by default; not with HOOKD_RAW_PIPE=0, a pending deprecation, another major or Windows", () => {
    expect(rawPipeAllowed({}, node20, [], "linux")).toBe(true)
    expect(rawPipeAllowed({}, node20, [], "darwin")).toBe(true)
    expect(rawPipeAllowed({ HOOKD_RAW_PIPE: "1" }, node20, [], "linux")).toBe(true)
    expect(rawPipeAllowed({ HOOKD_RAW_PIPE: "0" }, node20, [], "linux")).toBe(false)
    // process.binding() warns (DEP0111) under a pending deprecation: the output would change.
    expect(rawPipeAllowed({ NODE_OPTIONS: "--max-old-space-size=100 --pending-deprecation" }, node20, [], "linux")).toBe(false)
    expect(rawPipeAllowed({ NODE_OPTIONS: "--pending-deprecations-are-not-a-flag" }, node20, [], "linux")).toBe(true)
    expect(rawPipeAllowed({ NODE_PENDING_DEPRECATION: "1" }, node20, [], "linux")).toBe(false)
    expect(rawPipeAllowed({}, node20, ["--pending-deprecation"], "linux")).toBe(false)
    expect(rawPipeAllowed({}, { node: "22.1.0" }, [], "linux")).toBe(false)
    expect(rawPipeAllowed({}, { node: "18.19.0" }, [], "linux")).toBe(false)
    expect(rawPipeAllowed({}, node20, [], "win32")).toBe(false)
  })

  it.runIf(rawPipeAllowed())("openSocket connects through it here, and through node:net with HOOKD_RAW_PIPE=0", async () => {
    const { path } = await listen()
    expect(await open(path)).toBeInstanceOf(RawPipeSocket)
    vi.stubEnv("HOOKD_RAW_PIPE", "0")
    expect(await open(path)).toBeInstanceOf(Socket)
  })
})

describe.each([
  ["the raw pipe", undefined],
  ["node:net", "0"]
])("a connection through %s", (_, rawPipe) => {
  beforeEach(() => {
    if (rawPipe !== undefined) vi.stubEnv("HOOKD_RAW_PIPE", rawPipe)
  })

  it("sends the writes made while corked (nested, as hookctl does) in one write, in order", async () => {
    const { path } = await listen()
    const received = firstChunk()
    const socket = await open(path)
    socket.cork()
    socket.write(Buffer.from("a"))
    socket.cork()
    socket.write(Buffer.from("b"))
    socket.uncork()
    socket.write(Buffer.from("c"))
    socket.uncork()
    expect((await received).toString()).toBe("abc")
  })

  it("calls a write's callback once written", async () => {
    const { path } = await listen()
    const received = firstChunk()
    const socket = await open(path)
    const written = await new Promise((resolve) => socket.write(Buffer.from("x"), (error) => resolve(error ?? "ok")))
    expect(written).toBe("ok")
    expect((await received).toString()).toBe("x")
  })

  it("delivers every answer in order across pauses (backpressure), then 'closed' once the peer ends", async () => {
    const frames = Array.from({ length: 1000 }, (_, i) => ack(`m${i}`, "1"))
    const { path } = await listen((s) => s.once("data", () => s.end(Buffer.concat(frames))))
    const client = new FramedClient(await open(path), path)
    client.send("Status", {})
    // Nothing is read until all 1,000 frames are in: the client pauses the socket at 256 buffered.
    await new Promise((resolve) => setImmediate(resolve))
    const messages: string[] = []
    for (let i = 0; i < frames.length; i++) messages.push(((await client.next()).payload as { message: string }).message)
    expect(messages).toEqual(frames.map((_, i) => `m${i}`))
    await expect(client.next()).rejects.toMatchObject({ reason: "closed" })
  })

  it("fails with 'bad-answer' on a garbled answer", async () => {
    const { path } = await listen((s) => s.once("data", () => s.write(Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b]))))
    const client = new FramedClient(await open(path), path)
    await expect(client.request("Status", {})).rejects.toMatchObject({ reason: "bad-answer", message: expect.stringMatching(/^bad answer from hookd: /) })
  })

  it("emits 'close' once destroyed, and a write after that fails in its callback", async () => {
    const { path } = await listen()
    const socket = await open(path)
    const closed = new Promise<void>((resolve) => socket.once("close", resolve))
    socket.destroy()
    await closed
    const failed = await new Promise<unknown>((resolve) => socket.write(Buffer.from("late"), resolve))
    expect(failed).toMatchObject({ code: "ERR_STREAM_DESTROYED" })
  })

  it("tells the server the client is done: end() then destroy() (FramedClient.close)", async () => {
    let serverSawEnd!: () => void
    const ended = new Promise<void>((resolve) => (serverSawEnd = resolve))
    const { path } = await listen((s) => s.on("close", () => serverSawEnd()))
    const client = new FramedClient(await open(path), path)
    client.close()
    await ended
    await client.closed
  })
})

describe("a connect that fails reads as node:net's", () => {
  /** openSocket's failure through the default path and with HOOKD_RAW_PIPE=0. */
  const bothFailures = async (path: string) => {
    const raw = await openSocket(path).then(
      () => undefined,
      (e: unknown) => e
    )
    vi.stubEnv("HOOKD_RAW_PIPE", "0")
    const net = await openSocket(path).then(
      () => undefined,
      (e: unknown) => e
    )
    vi.unstubAllEnvs()
    return { raw, net }
  }
  const same = ({ raw, net }: { raw: unknown; net: unknown }) => {
    expect(raw).toBeInstanceOf(ConnectError)
    expect(net).toBeInstanceOf(ConnectError)
    expect({ ...(raw as ConnectError), message: (raw as Error).message }).toEqual({ ...(net as ConnectError), message: (net as Error).message })
    return raw as ConnectError
  }

  it("no socket file: ENOENT", async () => {
    const failure = same(await bothFailures(join(dir, "missing.sock")))
    expect(failure.errno).toBe("ENOENT")
    expect(failure.message).toBe(`${join(dir, "missing.sock")}: connect ENOENT ${join(dir, "missing.sock")}`)
  })

  it("a file that is no socket nobody listens on: the socket-safety refusal, before any connect", async () => {
    writeFileSync(join(dir, "file.sock"), "")
    expect(same(await bothFailures(join(dir, "file.sock"))).errno).toBe("EUNSAFE")
  })

  it("a socket file nobody listens on any more: ECONNREFUSED", async () => {
    // A server's socket file left behind (a crashed supervisor).
    const path = join(dir, "stale.sock")
    const stale = createServer()
    await new Promise<void>((resolve) => stale.listen(path, resolve))
    const copy = join(dir, "stale-copy")
    mkdirSync(copy, { mode: 0o700 })
    // Closing the server removes its file; a hard link to it outlives the close.
    linkSync(path, join(copy, "s.sock"))
    await new Promise((resolve) => stale.close(resolve))
    expect(same(await bothFailures(join(copy, "s.sock"))).errno).toBe("ECONNREFUSED")
  })
})

describe("RawPipeSocket's events (a scripted handle: every outcome of a read, deterministically)", () => {
  /** A handle whose reads the test delivers; the bindings' state array is the test's. */
  const scripted = () => {
    const state = new Int32Array(8)
    const calls: string[] = []
    const pendingWrites: Array<{ oncomplete?: (status: number) => void }> = []
    const handle = {
      onread: (_: ArrayBuffer | undefined) => undefined as unknown,
      connect: () => 0,
      readStart: () => (calls.push("readStart"), 0),
      readStop: () => (calls.push("readStop"), 0),
      writeBuffer: (req: { oncomplete?: (status: number) => void }, bytes: Uint8Array) => {
        calls.push(`write ${Buffer.from(bytes).toString()}`)
        pendingWrites.push(req)
        return 0
      },
      shutdown: () => 0,
      close: (callback: () => void) => {
        calls.push("close")
        setImmediate(callback)
      }
    }
    const bindings = {
      newPipe: () => handle,
      PipeConnectWrap: class {},
      WriteWrap: class {},
      ShutdownWrap: class {},
      state,
      kReadBytesOrError: 0,
      kArrayBufferOffset: 1,
      kLastWriteWasAsync: 2,
      EOF: -4095
    }
    const socket = new RawPipeSocket(handle as never, bindings as never)
    const events: string[] = []
    socket.on("data", (chunk) => events.push(`data ${chunk.toString()}`))
    socket.on("error", (e) => events.push(`error ${e.message}`))
    socket.once("close", () => events.push("close"))
    const read = (nread: number, bytes?: string, offset = 0) => {
      state[0] = nread
      state[1] = offset
      handle.onread(bytes === undefined ? undefined : (new TextEncoder().encode(bytes).buffer as ArrayBuffer))
    }
    const closed = () => new Promise<void>((resolve) => socket.once("close", resolve))
    return { socket, events, calls, read, closed, state, pendingWrites }
  }

  it("data as it comes (at the offset the binding names), then 'close' at the end of the stream, no 'error'", async () => {
    const s = scripted()
    const done = s.closed()
    s.read(2, "hi")
    s.read(0)
    s.read(3, "__abc", 2)
    s.read(-4095)
    await done
    expect(s.events).toEqual(["data hi", "data abc", "close"])
    expect(s.calls).toEqual(["readStart", "close"])
  })

  it("a failed read: 'error' with node:net's words, then 'close'", async () => {
    const s = scripted()
    const done = s.closed()
    s.read(-104) // ECONNRESET on Linux
    await done
    expect(s.events).toEqual(["error read ECONNRESET", "close"])
  })

  it("the writes made while corked, nested as hookctl's Connection does, leave in one write at the last uncork", () => {
    const s = scripted()
    s.socket.cork()
    s.socket.write(Buffer.from("a"))
    s.socket.cork()
    s.socket.write(Buffer.from("b"))
    s.socket.uncork()
    expect(s.calls).toEqual(["readStart"])
    s.socket.write(Buffer.from("c"))
    s.socket.uncork()
    s.socket.write(Buffer.from("d"))
    expect(s.calls).toEqual(["readStart", "write abc", "write d"])
  })

  it("a write's callback: after a write done at once, and after one libuv finished later; a failed one also errors the socket", async () => {
    const s = scripted()
    const results: unknown[] = []
    s.state[2] = 0 // kLastWriteWasAsync: written at once
    s.socket.write(Buffer.from("now"), (e) => results.push(e ?? "now ok"))
    s.state[2] = 1
    s.socket.write(Buffer.from("later"), (e) => results.push(e ?? "later ok"))
    s.state[2] = 1
    s.socket.write(Buffer.from("broken"), (e) => results.push((e as Error).message))
    await new Promise((resolve) => setImmediate(resolve))
    expect(results).toEqual(["now ok"])
    s.pendingWrites[1]!.oncomplete!(0)
    const done = s.closed()
    s.pendingWrites[2]!.oncomplete!(-32) // EPIPE
    await done
    expect(results).toEqual(["now ok", "later ok", "write EPIPE"])
    expect(s.events).toEqual(["error write EPIPE", "close"])
  })

  it("pause and resume stop and restart reading, once each", () => {
    const s = scripted()
    s.socket.pause()
    s.socket.pause()
    expect(s.socket.isPaused()).toBe(true)
    s.socket.resume()
    s.socket.resume()
    expect(s.socket.isPaused()).toBe(false)
    expect(s.calls).toEqual(["readStart", "readStop", "readStart"])
  })

  it("nothing after destroy: reads are dropped, 'close' comes once", async () => {
    const s = scripted()
    const done = s.closed()
    s.socket.destroy()
    s.socket.destroy()
    s.read(2, "hi")
    await done
    expect(s.events).toEqual(["close"])
    expect(s.calls).toEqual(["readStart", "close"])
  })
})
