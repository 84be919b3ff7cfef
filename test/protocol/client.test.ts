// The framed client against a real Unix socket whose peer writes exactly the bytes a test chooses:
// ids, early close, an oversize or unreadable answer, silence.
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ConnectError, ConnectionFailed, FramedClient } from "../../src/protocol/client"
import { encodeFrame } from "../../src/protocol/framing"
import { response } from "../../src/protocol/types"

let dir: string
let server: Server | undefined
const clients: FramedClient[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookd-client-"))
})
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  if (server) await new Promise((resolve) => server!.close(resolve))
  server = undefined
  rmSync(dir, { recursive: true, force: true })
})

/** A peer that acts on the first request to arrive; `closed` resolves once the connection is gone. */
const peer = async (onRequest: (socket: Socket) => void) => {
  const path = join(dir, "peer.sock")
  let peerClosed!: () => void
  const closed = new Promise<void>((resolve) => (peerClosed = resolve))
  server = createServer((socket) => {
    socket.once("data", () => onRequest(socket))
    socket.on("error", () => undefined)
    socket.on("close", () => peerClosed())
  })
  await new Promise<void>((resolve) => server!.listen(path, resolve))
  const client = await FramedClient.connect(path, { maxFrameBytes: 1024 })
  clients.push(client)
  return { client, closed }
}

const ack = (message: string, id?: string) => encodeFrame(response("Ack", { message }, id))

describe("FramedClient", () => {
  it("names the errno of a failed connect", async () => {
    const failure = await FramedClient.connect(join(dir, "nobody.sock")).catch((e) => e)
    expect(failure).toBeInstanceOf(ConnectError)
    expect(failure).toMatchObject({ errno: "ENOENT" })
  })

  it("returns the answer to its own id, skipping answers to other ids", async () => {
    const { client } = await peer((s) => s.write(Buffer.concat([ack("not yours", "99"), ack("yours", "1")])))
    expect(await client.request("Status", {})).toMatchObject({ id: "1", payload: { message: "yours" } })
  })

  it("takes an answer without id as the answer (a server refusing the connection has no id to echo)", async () => {
    const { client } = await peer((s) => s.end(encodeFrame(response("Error", { code: "BUSY", message: "too many" }))))
    expect(await client.request("Status", {})).toMatchObject({ kind: "Error", payload: { code: "BUSY" } })
  })

  it("delivers what arrived before the peer closed, then fails with 'closed'", async () => {
    const { client } = await peer((s) => s.end(Buffer.concat([ack("one"), ack("two")])))
    client.send("Status", {})
    expect(await client.next()).toMatchObject({ payload: { message: "one" } })
    expect(await client.next()).toMatchObject({ payload: { message: "two" } })
    await expect(client.next()).rejects.toMatchObject({ reason: "closed" })
  })

  it("fails the connection on an answer larger than its cap, without reading the body", async () => {
    const header = Buffer.alloc(4)
    header.writeUInt32BE(4096)
    const { client, closed } = await peer((s) => s.write(header))
    const failure = await client.request("Status", {}).catch((e) => e)
    expect(failure).toBeInstanceOf(ConnectionFailed)
    expect(failure).toMatchObject({ reason: "bad-answer", message: expect.stringContaining("exceeds the 1024-byte limit") })
    await closed
  })

  it("fails the connection on an answer that is not a JSON object", async () => {
    const body = Buffer.from("[1, 2]")
    const header = Buffer.alloc(4)
    header.writeUInt32BE(body.length)
    const { client } = await peer((s) => s.write(Buffer.concat([header, body])))
    await expect(client.request("Status", {})).rejects.toMatchObject({ reason: "bad-answer" })
  })

  it("gives up on a silent peer after the timeout, naming the request, and refuses to send more", async () => {
    const { client, closed } = await peer(() => undefined)
    await expect(client.request("Prune", { dry_run: true }, 50)).rejects.toMatchObject({
      reason: "timeout",
      message: expect.stringContaining("hookd did not answer Prune within")
    })
    expect(() => client.send("Status", {})).toThrow(ConnectionFailed)
    client.close()
    await closed
  })

  it("streams the answers to one request up to and including StreamEnd", async () => {
    const frame = (seq: number) => encodeFrame(response("StreamFrame", { record: { seq, ts: 0, kind: "stdout", data: `l${seq}` } }, "1"))
    const end = encodeFrame(response("StreamEnd", { reason: "replayed" }, "1"))
    const { client } = await peer((s) => s.write(Buffer.concat([frame(0), ack("other", "7"), frame(1), end, ack("after", "1")])))
    const kinds: string[] = []
    for await (const answer of client.stream("TailLogs", { job: { repo_root: "/r", name: "j" }, follow: false })) kinds.push(answer.kind)
    expect(kinds).toEqual(["StreamFrame", "StreamFrame", "StreamEnd"])
  })

  it("rejects a waiting read with the error it is aborted with, and drops what was buffered", async () => {
    const { client, closed } = await peer(() => undefined)
    const waiting = client.request("Status", {})
    client.abort(new Error("interrupted"))
    await expect(waiting).rejects.toThrow("interrupted")
    await closed
  })
})
