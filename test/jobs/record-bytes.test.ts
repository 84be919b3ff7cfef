// An output record's bytes are JSON.stringify's, whichever escape made them: WebAssembly SIMD
// (simd-escape.ts, the usual path) or the JS loops (a batch larger than the SIMD memory, a CPU
// without SIMD). Every byte value, every position in a 16-byte block, every tail length.
import { afterEach, describe, expect, it } from "@effect/vitest"
import { encodeOutputLine, escapeWithSimd } from "../../src/jobs/record-bytes"
import { makeSimdEscape, SIMD_INPUT_MAX, simdEscape } from "../../src/jobs/simd-escape"

const stringified = (seq: number, lines: Buffer) =>
  JSON.stringify({ seq, ts: 1732450000123, kind: "stdout", data: lines.toString("utf8") }) + "\n"
const encoded = (seq: number, lines: Buffer) => encodeOutputLine(seq, 1732450000123, "stdout", lines).toString("utf8")

/** Deterministic bytes: mostly printable, with controls, '"', '\' and multi-byte characters mixed in. */
const mixedText = (length: number, seed: number): Buffer => {
  const pieces = ["a", "b", " ", "\n", "\t", '"', "\\", "\u0000", "\u001b", "\u001f", "\u007f", "é", "😀", "\u2028", "x".repeat(17)]
  const parts: Array<string> = []
  for (let s = seed, bytes = 0; bytes < length; ) {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    const piece = pieces[s % pieces.length]!
    parts.push(piece)
    bytes += Buffer.byteLength(piece)
  }
  return Buffer.from(parts.join(""))
}

afterEach(() => escapeWithSimd(true))

describe("the escape of an output record's data", () => {
  it("has its WebAssembly SIMD form on this machine (else the JS loops would be the only ones tested)", () => {
    expect(makeSimdEscape()).toBeDefined()
    expect(simdEscape()).toBeDefined()
  })

  it("escapes a batch that is a slice of the read region where it lies, leaving the read intact", () => {
    const read = simdEscape()!.readRegion
    const text = Buffer.from('first "line"\n\tsecond é\nthird\u0001 and a partial')
    text.copy(read, read.length - text.length - 7) // near the end: the last blocks load past it
    const lines = read.subarray(read.length - text.length - 7, read.length - 7 - " and a partial".length)
    const before = Buffer.from(read)
    expect(encoded(3, lines)).toBe(stringified(3, lines))
    expect(read.equals(before)).toBe(true)
    const whole = read.subarray(0, 100_000).fill(0x78)
    for (let i = 99; i < whole.length; i += 100) whole[i] = 0x0a
    expect(encoded(4, whole)).toBe(stringified(4, whole))
  })

  for (const path of ["WebAssembly SIMD", "JS"] as const) {
    describe(path, () => {
      const use = () => escapeWithSimd(path === "WebAssembly SIMD")

      it("gives JSON.stringify's bytes for every byte value at every place in a block and in the tail", () => {
        use()
        for (let b = 0; b < 128; b++) {
          for (let at = 0; at < 40; at += 3) {
            const lines = Buffer.alloc(40, 0x61)
            lines[at] = b
            expect(encoded(at, lines)).toBe(stringified(at, lines))
          }
        }
      })

      it("gives JSON.stringify's bytes for every length up to 4 blocks, runs of escapes and plain runs", () => {
        use()
        for (let length = 0; length <= 64; length++) {
          for (const seed of [1, 2, 3]) {
            const lines = mixedText(length, seed * 1000 + length).subarray(0, length)
            // A cut may split a multi-byte character: that batch is decoded, which JSON.stringify matches too.
            expect(encoded(length, lines)).toBe(stringified(length, lines))
          }
        }
        for (const text of ["y\n".repeat(5000), "\u0001".repeat(100), '"'.repeat(33), ("x".repeat(99) + "\n").repeat(700)]) {
          const lines = Buffer.from(text)
          expect(encoded(1, lines)).toBe(stringified(1, lines))
        }
      })

      it("gives JSON.stringify's bytes for a large batch, at and past the SIMD memory's limit", () => {
        use()
        for (const length of [SIMD_INPUT_MAX - 1, SIMD_INPUT_MAX, SIMD_INPUT_MAX + 1, 2 * SIMD_INPUT_MAX]) {
          const lines = mixedText(length + 8, length)
          // Cut where a character starts, so the batch stays valid UTF-8 and takes an escape path.
          let end = length
          while ((lines[end]! & 0xc0) === 0x80) end--
          expect(encoded(9_007_199_254_740_991, lines.subarray(0, end))).toBe(stringified(9_007_199_254_740_991, lines.subarray(0, end)))
        }
      })
    })
  }
})
