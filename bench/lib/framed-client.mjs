// A tiny framed-JSON client for the supervisor's socket (SPEC §2): a 4-byte big-endian length,
// then that many bytes of UTF-8 JSON. Written here because .mjs benchmarks may not import src/.
import { connect } from "node:net"

export class FramedClient {
  #socket
  #buffered = Buffer.alloc(0)
  #queue = []
  #waiters = []
  #nextId = 0
  closed = false

  constructor(socket) {
    this.#socket = socket
    socket.on("data", (chunk) => {
      // Stamp each frame with its arrival time: latency figures need the moment it was read.
      const receivedAt = performance.timeOrigin + performance.now()
      this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk])
      while (this.#buffered.length >= 4) {
        const size = this.#buffered.readUInt32BE(0)
        if (this.#buffered.length < 4 + size) break
        const frame = JSON.parse(this.#buffered.subarray(4, 4 + size).toString("utf8"))
        this.#buffered = this.#buffered.subarray(4 + size)
        this.#queue.push({ frame, receivedAt })
      }
      this.#wake()
    })
    socket.on("close", () => {
      this.closed = true
      this.#wake()
    })
    socket.on("error", () => undefined)
  }

  static connect(path, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const socket = connect({ path })
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`connect ${path}: timed out`))), timeoutMs)
      socket.once("connect", () => (clearTimeout(timer), resolve(new FramedClient(socket))))
      socket.once("error", (e) => (clearTimeout(timer), reject(e)))
    })
  }

  #wake() {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  send(req, payload) {
    const id = `b${this.#nextId++}`
    const body = Buffer.from(JSON.stringify({ v: 1, id, req, payload }), "utf8")
    const header = Buffer.allocUnsafe(4)
    header.writeUInt32BE(body.length, 0)
    this.#socket.write(Buffer.concat([header, body]))
    return id
  }

  /** The next response with its arrival time ({frame, receivedAt}: epoch ms, sub-ms precision). */
  async nextTimed(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const item = this.#queue.shift()
      if (item) return item
      if (this.closed) throw new Error("connection closed by the supervisor")
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`)
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => (clearTimeout(timer), resolve()))
      })
    }
  }

  async next(timeoutMs) {
    return (await this.nextTimed(timeoutMs)).frame
  }

  async request(req, payload, timeoutMs) {
    this.send(req, payload)
    return this.next(timeoutMs)
  }

  close() {
    this.#socket.destroy()
  }
}

/** The payload of an answer of the expected kind; anything else (an Error frame) throws with its text. */
export const payloadOf = (frame, kind) => {
  if (frame.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(frame).slice(0, 300)}`)
  return frame.payload
}

/** One request on a fresh connection. */
export const requestOnce = async (socketPath, req, payload, kind, timeoutMs) => {
  const c = await FramedClient.connect(socketPath)
  try {
    return payloadOf(await c.request(req, payload, timeoutMs), kind)
  } finally {
    c.close()
  }
}
