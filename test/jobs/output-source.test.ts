// A job's output as its spawner relays it (output-source.ts RelayedOutput): every byte reaches
// `start`'s receiver in order — the relayed ones, then those read from the pipe handed over — also
// bytes that arrived before `start`, and the end is told once after the last byte.
import { mkdtempSync, rmSync } from "node:fs"
import { connect, createServer, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { RelayedOutput } from "../../src/jobs/output-source"

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

/**
 * A connected pair: `handle` is the reading end's raw handle, detached from its net.Socket as the
 * spawner detaches a job's pipe before it hands it over; `writer` is the other end.
 */
const handOverPair = async () => {
  dir = mkdtempSync(join(tmpdir(), "hookd-output-source-"))
  const path = join(dir, "s.sock")
  let accepted!: (socket: Socket) => void
  const writer = new Promise<Socket>((resolve) => (accepted = resolve))
  const server = createServer((socket) => accepted(socket))
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const reader = connect({ path }) as Socket & { _handle: { readStop(): void; reading: boolean; onread: unknown; close(): void } | null }
  await new Promise<void>((resolve) => reader.once("connect", () => resolve()))
  const handle = reader._handle!
  handle.readStop()
  handle.reading = false // a handle received over IPC is a fresh one: not reading
  handle.onread = () => {}
  reader._handle = null
  reader.destroy()
  const end = await writer
  return {
    handle,
    writer: end,
    close: () => {
      end.destroy()
      server.close()
    }
  }
}

/** A relayed output with its calls counted. */
const relayed = () => {
  const calls = { stopRelay: 0, settled: 0 }
  const output = new RelayedOutput(() => calls.stopRelay++, () => calls.settled++)
  return { output, calls }
}

/** Starts reading; resolves with every byte (copied: a read is a view on the shared buffer) and the number of ends. */
const readAll = (output: RelayedOutput) => {
  const received: Array<Buffer> = []
  let ends = 0
  const ended = new Promise<void>((resolve) =>
    output.start(
      (bytes) => received.push(Buffer.from(bytes)),
      () => {
        ends++
        resolve()
      }
    )
  )
  return { ended, text: () => Buffer.concat(received).toString(), ends: () => ends }
}

describe("RelayedOutput", () => {
  it("relayed bytes and the end that came before start are handed over at start, in order, the end once", () => {
    const { output, calls } = relayed()
    output.push(Buffer.from("one\ntw"))
    output.push(Buffer.from("o\n"))
    output.end()
    expect(calls).toEqual({ stopRelay: 0, settled: 1 })
    output.push(Buffer.from("late")) // after the end: nothing of it
    const read = readAll(output)
    expect(read.text()).toBe("one\ntwo\n")
    expect(read.ends()).toBe(1)
    output.end()
    expect(read.ends()).toBe(1)
    expect(output.relaying).toBe(false)
  })

  it("relayed bytes, then the pipe: its bytes follow, also those read before start, then the end once", async () => {
    const pair = await handOverPair()
    try {
      const { output, calls } = relayed()
      output.push(Buffer.from("relayed 1\n"))
      output.push(Buffer.from("relayed 2\n"))
      // The job wrote on: some before the pipe is adopted, some before start, the rest after.
      pair.writer.write("piped 1\n")
      expect(output.adopt(pair.handle)).toBe(true)
      expect(calls).toEqual({ stopRelay: 0, settled: 1 })
      expect(output.relaying).toBe(false)
      output.push(Buffer.from("never")) // no relayed byte can follow the pipe
      output.end() // nor an end: the pipe's own is the end
      const big = "x".repeat(200_000)
      await new Promise<void>((resolve) => pair.writer.write(big, () => resolve()))
      const read = readAll(output)
      pair.writer.end("\nlast")
      await read.ended
      expect(read.text()).toBe(`relayed 1\nrelayed 2\npiped 1\n${big}\nlast`)
      expect(read.ends()).toBe(1)
      output.destroy()
      expect(calls).toEqual({ stopRelay: 0, settled: 1 })
    } finally {
      pair.close()
    }
  })

  it("destroyed while relaying: the spawner is told to close the stream once; a pipe that comes later is refused", async () => {
    const { output, calls } = relayed()
    const read = readAll(output)
    output.push(Buffer.from("a\n"))
    output.destroy()
    output.destroy()
    expect(calls).toEqual({ stopRelay: 1, settled: 1 })
    output.push(Buffer.from("b\n"))
    const pair = await handOverPair()
    try {
      expect(output.adopt(pair.handle)).toBe(false)
      pair.handle.close() // refused: the caller's to close (spawner.ts closeHandle)
    } finally {
      pair.close()
    }
    expect(read.text()).toBe("a\n")
  })
})
