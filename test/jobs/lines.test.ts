import { describe, expect, it } from "vitest"
import { LineSplitter } from "../../src/jobs/lines"

/** Feeds `input` to a splitter cut at the given byte offsets and returns the emitted lines. */
const split = (input: Buffer, cuts: ReadonlyArray<number> = [], max?: number): Array<string> => {
  const out: Array<string> = []
  const splitter = new LineSplitter((lines) => out.push(...lines.toString("utf8").split("\n")), max)
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

describe("LineSplitter batches (log format 2)", () => {
  const batches = (chunks: ReadonlyArray<string>, max?: number) => {
    const out: Array<Buffer> = []
    const splitter = new LineSplitter((lines) => out.push(Buffer.from(lines)), max)
    for (const chunk of chunks) splitter.push(Buffer.from(chunk))
    splitter.end()
    return out.map((b) => b.toString("utf8"))
  }

  it("a chunk of whole lines is one batch: the chunk's own bytes, not a copy", () => {
    const chunk = Buffer.from("a\nb\n\nc\nrest")
    const seen: Array<Buffer> = []
    new LineSplitter((lines) => seen.push(lines)).push(chunk)
    expect(seen.map((b) => b.toString())).toEqual(["a\nb\n\nc"])
    expect(seen[0]!.buffer).toBe(chunk.buffer)
  })

  it("a chunk longer than the cap whose lines are all within it is still one batch of its own bytes", () => {
    for (const text of ["ab\ncd\nef\ngh\n", "abcd\nefgh\nijkl\n", "a\n\n\n\n\n\n\nb\n"]) {
      const chunk = Buffer.from(text)
      const seen: Array<Buffer> = []
      new LineSplitter((lines) => seen.push(lines), 4).push(chunk)
      expect(seen.map((b) => b.toString())).toEqual([text.slice(0, -1)])
      expect(seen[0]!.buffer).toBe(chunk.buffer)
    }
    // One line over the cap anywhere (first, middle, last) takes the per-line path and is cut.
    expect(batches(["abcde\nf\n"], 4)).toEqual(["abcd\ne\nf"])
    expect(batches(["ab\ncdefgh\nij\n"], 4)).toEqual(["ab\ncdef\ngh\nij"])
    expect(batches(["ab\ncd\nefghi\n"], 4)).toEqual(["ab\ncd\nefgh\ni"])
  })

  it("the end of a pending line and the chunk's whole lines go out as one batch; the rest waits", () => {
    expect(batches(["one\ntw", "o\nthree\nfo", "ur"])).toEqual(["one", "two\nthree", "four"])
  })

  it("\\r\\n, lines over the cap and a \\r-ended piece at the cap take the per-line path with the same result", () => {
    expect(batches(["a\r\nb\r\n", "c\n"])).toEqual(["a\nb", "c"])
    expect(batches(["x".repeat(10) + "\nabc\n"], 4)).toEqual(["xxxx\nxxxx\nxx\nabc"])
    expect(batches(["yyyy\r", "\nz\n"], 4)).toEqual(["yyyy\nz"])
  })

  /** `text` cut at `cuts`, each chunk a view with `headroom` free bytes in front of it (as reads into output-source's buffer are). */
  const batchesWithRoom = (text: Buffer, cuts: ReadonlyArray<number>, headroom: number, max?: number) => {
    const out: Array<Buffer> = []
    const splitter = new LineSplitter((lines) => out.push(Buffer.from(lines)), max)
    let from = 0
    for (const cut of [...cuts, text.length]) {
      const memory = Buffer.alloc(headroom + cut - from, 0x3f) // "?": a byte that must never reach a batch
      text.copy(memory, headroom, from, cut)
      splitter.push(memory.subarray(headroom), headroom)
      from = cut
    }
    splitter.end()
    return out.map((b) => b.toString("utf8"))
  }

  it("with room in front of a chunk, a pending line and the chunk's lines are one batch in the chunk's own memory", () => {
    const memory = Buffer.alloc(64, 0x3f)
    const seen: Array<Buffer> = []
    const splitter = new LineSplitter((lines) => seen.push(lines))
    splitter.push(Buffer.from("one\ntw"), 0)
    memory.write("o\nthree\nfo", 32)
    splitter.push(memory.subarray(32, 43), 32)
    expect(seen.map((b) => b.toString())).toEqual(["one", "two\nthree"])
    expect(seen[1]!.buffer).toBe(memory.buffer)
  })

  it("with room in front of each chunk, every chunking gives the batches' lines it gives without", () => {
    const text = Buffer.from("héllo\r\nwörld\n" + "x".repeat(19) + "\n😀 ok\r\nyyyyyyyy\r\nñ\n\nlast")
    const linesOf = (batches: ReadonlyArray<string>) => batches.flatMap((b) => b.split("\n"))
    const expected = linesOf(batchesWithRoom(text, [], 0, 8))
    expect(expected).toContain("yyyyyyyy")
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b += 3) {
        expect(linesOf(batchesWithRoom(text, [a, b], 9, 8))).toEqual(expected) // room for any pending line (cap + "\r")
        expect(linesOf(batchesWithRoom(text, [a, b], 2, 8))).toEqual(expected) // too little room: the copying path
      }
    }
  })
})
