// A job's output read into the shared buffer (output-source.ts): every byte reaches `start`'s
// receiver in order, also bytes that arrived before `start` (a connected socket starts reading on
// its own), and the end is told once after the last byte.
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { connectOutput } from "../../src/jobs/output-source"

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

/** A server that reads the header, then writes `chunks` and ends; resolves with its socket once its bytes are flushed. */
const serve = async (chunks: ReadonlyArray<string>) => {
  dir = mkdtempSync(join(tmpdir(), "hookd-output-source-"))
  const path = join(dir, "s.sock")
  let flushed!: (header: string) => void
  const done = new Promise<string>((resolve) => (flushed = resolve))
  const server = createServer((socket: Socket) => {
    socket.once("data", (header) => {
      for (const chunk of chunks) socket.write(chunk)
      socket.end(() => flushed(header.toString()))
    })
  })
  await new Promise<void>((resolve) => server.listen(path, resolve))
  return { path, done, close: () => server.close() }
}

describe("connectOutput", () => {
  it("hands over every byte, also those that arrived before start, then the end once", async () => {
    const chunks = ["one\n", "two ", "three\n", "x".repeat(60_000), "\nlast"]
    const server = await serve(chunks)
    try {
      const source = await connectOutput(server.path, "0123456789abcdefo\n")
      // The job has written everything and closed its end before anyone starts reading.
      expect(await server.done).toBe("0123456789abcdefo\n")
      await new Promise((resolve) => setImmediate(resolve))
      const received: Array<Buffer> = []
      let ends = 0
      await new Promise<void>((resolve) =>
        source.start(
          (bytes) => received.push(Buffer.from(bytes)), // a view on the shared buffer: copied here
          () => {
            ends++
            resolve()
          }
        )
      )
      expect(Buffer.concat(received).toString()).toBe(chunks.join(""))
      expect(ends).toBe(1)
      source.destroy()
    } finally {
      server.close()
    }
  })
})
