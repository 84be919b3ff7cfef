import * as fc from "effect/FastCheck"
import { describe, expect, it } from "vitest"
import {
  BadFrameError,
  encodeFrame,
  encodeFrames,
  FrameDecoder,
  FrameTooLargeError,
  parseFrameBody
} from "../../src/protocol/framing"
import { MAX_FRAME_BYTES } from "../../src/protocol/types"

/** Feeds the chunks to a fresh decoder and parses every complete frame. */
const decodeAll = (chunks: ReadonlyArray<Uint8Array>): Array<Record<string, unknown>> => {
  const decoder = new FrameDecoder()
  const out: Array<Record<string, unknown>> = []
  for (const chunk of chunks) for (const body of decoder.push(chunk)) out.push(parseFrameBody(body))
  expect(decoder.pending).toBe(0)
  return out
}

const header = (size: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(size, 0)
  return b
}

const frameOfBody = (body: string | Buffer): Buffer => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
  return Buffer.concat([header(bytes.length), bytes])
}

/** A JSON object whose UTF-8 encoding is exactly `size` bytes. */
const objectOfSize = (size: number): Record<string, unknown> => {
  const overhead = JSON.stringify({ pad: "" }).length
  return { pad: "x".repeat(size - overhead) }
}

const messages = [
  { v: 1, id: "a", req: "Status", payload: {} },
  { v: 1, req: "GetJob", payload: { job: { repo_root: "/home/u/répo ✓", name: "lint" } } },
  { v: 1, kind: "Ack", payload: { message: "line\nbreak and emoji 🎉" } }
]

describe("frame encoding and decoding", () => {
  it("round-trips a value through encodeFrame, FrameDecoder and parseFrameBody", () => {
    expect(decodeAll([encodeFrame(messages[1])])).toEqual([messages[1]])
  })

  it("writes a 4-byte big-endian length before the UTF-8 body", () => {
    const frame = encodeFrame({ s: "é" })
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4)
    expect(frame.subarray(4).toString("utf8")).toBe('{"s":"é"}')
  })

  it("decodes identically whichever byte boundary a stream of frames is split at", () => {
    const stream = encodeFrames(messages)
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]), `split at byte ${cut}`).toEqual(messages)
    }
  })

  it("decodes a stream fed one byte at a time", () => {
    const stream = encodeFrames(messages)
    const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1))
    expect(decodeAll(bytes)).toEqual(messages)
  })

  it("decodes 100 frames arriving in one chunk, in order", () => {
    const values = Array.from({ length: 100 }, (_, i) => ({ v: 1, id: `r${i}`, req: "Status", payload: {} }))
    expect(decodeAll([encodeFrames(values)])).toEqual(values)
  })

  it("accepts plain Uint8Array chunks, not only Buffers", () => {
    const stream = encodeFrames(messages)
    const copy = new Uint8Array(stream.length + 8).subarray(3, 3 + stream.length)
    copy.set(stream)
    expect(decodeAll([copy.subarray(0, 10), copy.subarray(10)])).toEqual(messages)
  })

  it("counts a header whose body has not arrived yet as pending", () => {
    const decoder = new FrameDecoder()
    expect(decoder.push(header(5))).toEqual([])
    expect(decoder.pending).toBe(4)
  })

  it("reports the bytes of an incomplete frame as pending", () => {
    const decoder = new FrameDecoder()
    const frame = encodeFrame(messages[0])
    expect(decoder.push(frame.subarray(0, 6))).toEqual([])
    expect(decoder.pending).toBe(6)
    expect(decoder.push(frame.subarray(6))).toHaveLength(1)
    expect(decoder.pending).toBe(0)
  })
})

describe("frame size limit", () => {
  it("accepts a body of exactly 8 MiB", () => {
    const value = objectOfSize(MAX_FRAME_BYTES)
    const frame = encodeFrame(value)
    expect(frame.length).toBe(4 + MAX_FRAME_BYTES)
    const decoder = new FrameDecoder()
    const bodies = decoder.push(frame)
    expect(bodies).toHaveLength(1)
    expect(bodies[0].length).toBe(MAX_FRAME_BYTES)
    expect(parseFrameBody(bodies[0])).toEqual(value)
  })

  it("rejects a header announcing 8 MiB + 1 with FrameTooLargeError before any body arrives", () => {
    const decoder = new FrameDecoder()
    let error: unknown
    try {
      decoder.push(header(MAX_FRAME_BYTES + 1))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(FrameTooLargeError)
    expect(error).toMatchObject({ code: "FRAME_TOO_LARGE", size: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES })
    expect(decoder.pending).toBe(0)
  })

  it("refuses to encode a value whose body exceeds 8 MiB", () => {
    expect(() => encodeFrame(objectOfSize(MAX_FRAME_BYTES + 1))).toThrow(FrameTooLargeError)
  })

  it("honours a smaller limit given to the decoder", () => {
    expect(() => new FrameDecoder(10).push(header(11))).toThrow(FrameTooLargeError)
    expect(new FrameDecoder(10).push(frameOfBody('{"a":"12"}'))).toHaveLength(1)
  })
})

describe("parseFrameBody rejects what is not a JSON object", () => {
  const bodyOf = (frame: Buffer): Buffer => {
    const bodies = new FrameDecoder().push(frame)
    expect(bodies).toHaveLength(1)
    return bodies[0]
  }

  it.each([
    ["a zero-length body", ""],
    ["a body that is not JSON", "{not json"],
    ["a JSON array", "[1]"],
    ["a JSON string", '"x"'],
    ["a JSON number", "42"],
    ["JSON null", "null"]
  ])("%s gives BadFrameError", (_, text) => {
    const body = bodyOf(frameOfBody(text))
    expect(() => parseFrameBody(body)).toThrow(BadFrameError)
    expect(() => parseFrameBody(body)).toThrow(expect.objectContaining({ code: "BAD_FRAME" }))
  })

  it("a body that is not valid UTF-8 gives BadFrameError", () => {
    const body = bodyOf(frameOfBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])))
    expect(() => parseFrameBody(body)).toThrow(BadFrameError)
  })

  it("a zero-length frame is delivered as an empty body, then the next frame follows", () => {
    const bodies = new FrameDecoder().push(Buffer.concat([header(0), encodeFrame({ a: 1 })]))
    expect(bodies.map((b) => b.length)).toEqual([0, 7])
  })
})

describe("property: chunking never changes what is decoded", () => {
  const jsonObject = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })

  it("any chunking of any sequence of JSON objects decodes to the same values", () => {
    fc.assert(
      fc.property(
        fc.array(jsonObject, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (values, rawCuts) => {
          const stream = encodeFrames(values)
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
          const chunks: Array<Uint8Array> = []
          let start = 0
          for (const cut of [...cuts, stream.length]) {
            chunks.push(stream.subarray(start, cut))
            start = cut
          }
          // JSON round trip of the expected side: e.g. -0 becomes 0 on the wire.
          expect(decodeAll(chunks)).toEqual(JSON.parse(JSON.stringify(values)))
        }
      ),
      { numRuns: 300 }
    )
  })
})
