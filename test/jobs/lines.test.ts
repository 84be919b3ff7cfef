import { describe, expect, it } from "vitest"
import { LineSplitter } from "../../src/jobs/lines"

/** Feeds `input` to a splitter cut at the given byte offsets and returns the emitted lines. */
const split = (input: Buffer, cuts: ReadonlyArray<number> = [], max?: number): Array<string> => {
  const out: Array<string> = []
  const splitter = new LineSplitter((l) => out.push(l), max)
  let from = 0
  for (const cut of [...cuts, input.length]) {
    splitter.push(input.subarray(from, cut))
    from = cut
  }
  splitter.end()
  return out
}

describe("LineSplitter", () => {
  it("splits on \\n and \\r\\n and keeps empty lines", () => {
    expect(split(Buffer.from("a\r\nb\n\nc\n"))).toEqual(["a", "b", "", "c"])
  })

  it("emits the last line without a newline at the end", () => {
    expect(split(Buffer.from("a\nlast"))).toEqual(["a", "last"])
  })

  it("a \\r\\n split across chunks ends the line once", () => {
    expect(split(Buffer.from("ab\r\ncd\n"), [3])).toEqual(["ab", "cd"])
  })

  it("every chunking of multi-byte text gives the same lines", () => {
    const input = Buffer.from("héllo wörld\n😀 ok\r\nñ")
    const expected = ["héllo wörld", "😀 ok", "ñ"]
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) {
        expect(split(input, [a, b])).toEqual(expected)
      }
    }
  })

  it("cuts a long line into pieces of at most the cap in bytes, without breaking a character", () => {
    const line = "é".repeat(10) // 20 bytes
    const pieces = split(Buffer.from(line + "\n"), [], 7)
    expect(pieces.join("")).toBe(line)
    for (const p of pieces) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(8)
    expect(pieces.length).toBeGreaterThan(1)
  })

  it("a line of exactly the cap followed by \\r\\n in the next chunk is one line", () => {
    const input = Buffer.from("x".repeat(8) + "\r\nnext\n")
    for (let cut = 1; cut < input.length; cut++) {
      expect(split(input, [cut], 8)).toEqual(["x".repeat(8), "next"])
    }
  })

  it("a long line arriving in small chunks is cut into full pieces", () => {
    const input = Buffer.from("y".repeat(25) + "\n")
    expect(split(input, [3, 9, 10, 17, 24], 8)).toEqual(["yyyyyyyy", "yyyyyyyy", "yyyyyyyy", "y"])
  })
})
