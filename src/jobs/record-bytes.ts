// An output record's line of output.jsonl, built from the job's bytes without a string in between
// (issue 13): the JSON of `{"seq","ts","kind","data"}` where `data` is the batch of lines, escaped
// byte by byte. Valid UTF-8 passes through unchanged (JSON allows every character but '"', '\' and
// the controls below 0x20 unescaped), so the line is exactly what JSON.stringify would give for the
// decoded text; anything else is decoded (invalid bytes become U+FFFD) and stringified.
//
// The escape runs in WebAssembly SIMD (simd-escape.ts) where it can; the JS loops below are for a
// batch too large for its memory and for a CPU without SIMD.
import { isUtf8 } from "node:buffer"
import { escapeTable, SIMD_INPUT_MAX, simdEscape } from "./simd-escape"

const ESCAPES = escapeTable()
const HEX = Buffer.from("0123456789abcdef", "latin1")

/** Writes the escape of byte `b` (escapes[b] !== 0) at `j`; returns the end. */
const escapeByte = (out: Uint8Array, j: number, b: number, e: number): number => {
  out[j++] = 0x5c
  out[j++] = e
  if (e === 0x75) {
    out[j++] = 0x30
    out[j++] = 0x30
    out[j++] = HEX[b >> 4]!
    out[j++] = HEX[b & 15]!
  }
  return j
}

/** Byte by byte: best when escapes are dense (`yes` prints a "\n" every 2 bytes). */
const escapeDense = (src: Uint8Array, out: Uint8Array, at: number): number => {
  const escapes = ESCAPES
  let j = at
  for (let i = 0, n = src.length; i < n; i++) {
    const b = src[i]!
    const e = escapes[b]!
    if (e === 0) out[j++] = b
    else j = escapeByte(out, j, b, e)
  }
  return j
}

/**
 * Runs of plain bytes are found 4 bytes at a time (a word with no byte below 0x20, no '"' and no
 * '\' — the usual bit tricks, which may flag a clean word but never miss one) and moved whole.
 * `src` is first copied to the end of `out`, past anything the output can reach before it has been
 * read (out has room for 6 bytes per byte), so a run is moved with copyWithin inside one buffer:
 * no view allocated per run (a `set(src.subarray())` per line was most of the supervisor's garbage
 * with a fast log reader, and its slowest step).
 */
const escapeSparse = (src: Uint8Array, out: Uint8Array, at: number): number => {
  const escapes = ESCAPES
  const n = src.length
  // 4-aligned in the ArrayBuffer, at least 5n bytes after `at`: the output never overtakes the input.
  const base = ((out.byteOffset + out.length - n) & ~3) - out.byteOffset
  out.set(src, base)
  const words = new Uint32Array(out.buffer, out.byteOffset + base, n >> 2)
  let j = at
  let run = 0
  let i = 0
  while (i < n) {
    // Whole clean words, then the bytes of the first word that may hold an escape (or of the tail).
    for (; i + 4 <= n; i += 4) {
      const v = words[i >> 2]!
      const q = v ^ 0x22222222
      const s = v ^ 0x5c5c5c5c
      if (((((v - 0x20202020) & ~v) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) & 0x80808080) !== 0) break
    }
    for (const stop = Math.min(i + 4, n); i < stop; i++) {
      const b = out[base + i]!
      const e = escapes[b]!
      if (e === 0) continue
      if (i - run > 16) out.copyWithin(j, base + run, base + i)
      else for (let k = run; k < i; k++) out[j + k - run] = out[base + k]!
      j = escapeByte(out, j + i - run, b, e)
      run = i + 1
    }
  }
  out.copyWithin(j, base + run, base + n)
  return j + n - run
}

/** Escapes `src` into `out` from `at`; returns the end. `out` must have room for 6 bytes per input byte. */
const escapeInto = (src: Uint8Array, out: Uint8Array, at: number): number => {
  // The first 64 bytes tell which kind of output this is.
  let sample = 0
  for (let i = 0, n = Math.min(64, src.length); i < n; i++) if (ESCAPES[src[i]!] !== 0) sample++
  return sample > 4 ? escapeDense(src, out, at) : escapeSparse(src, out, at)
}

/**
 * The JS path's output, reused for every record (writes are synchronous): the worst case (6 bytes
 * per byte) of the batches it escapes, up to SCRATCH_MAX; only a rarer, bigger batch allocates.
 */
let scratch = Buffer.allocUnsafe(0)
const SCRATCH_MAX = 2 * 1024 * 1024

/** The record's JSON up to its data's first byte. */
const headOf = (seq: number, ts: number, kind: "stdout" | "stderr"): string => `{"seq":${seq},"ts":${ts},"kind":"${kind}","data":"`

/**
 * Writes the record's JSON (no newline) at `at`; `lines` must be valid UTF-8 and `out` have room for
 * the head and 6 bytes per byte of `lines`. Returns the end.
 */
const writeOutputJson = (out: Buffer, at: number, head: string, lines: Buffer): number => {
  let j = at + out.write(head, at, "latin1")
  // Plain Uint8Array views: element access on them is faster than on a Buffer.
  j = escapeInto(new Uint8Array(lines.buffer, lines.byteOffset, lines.length), new Uint8Array(out.buffer, out.byteOffset, out.length), j)
  out[j++] = 0x22 // "
  out[j++] = 0x7d // }
  return j
}

/**
 * The bytes of an output record's line, "\n" included: a view on a buffer reused by the next call
 * (write it before then). `lines` is not kept.
 */
export const encodeOutputLine = (seq: number, ts: number, kind: "stdout" | "stderr", lines: Buffer): Buffer => {
  if (!isUtf8(lines)) return Buffer.from(JSON.stringify({ seq, ts, kind, data: lines.toString("utf8") }) + "\n", "utf8")
  const head = headOf(seq, ts, kind)
  const simd = useSimd && lines.length <= SIMD_INPUT_MAX ? simdEscape() : undefined
  return simd !== undefined ? simd.encode(head, lines, '"}\n') : encodeInJs(head, lines)
}

let useSimd = true

/** Tests: whether encodeOutputLine may escape in WebAssembly (true) or must take the JS path (false). */
export const escapeWithSimd = (on: boolean): void => {
  useSimd = on
}

const encodeInJs = (head: string, lines: Buffer): Buffer => {
  const need = head.length + lines.length * 6 + 3
  const out = need <= scratch.length ? scratch : need <= SCRATCH_MAX ? (scratch = Buffer.allocUnsafe(Math.max(need, 512 * 1024))) : Buffer.allocUnsafe(need)
  const end = writeOutputJson(out, 0, head, lines)
  out[end] = 0x0a
  return out.subarray(0, end + 1)
}
