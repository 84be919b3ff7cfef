// The JSON escape of an output record's data with WebAssembly SIMD (issue 13): 16 bytes per step
// instead of one (or 4 in JS's word trick). Half of the supervisor's CPU on 100-byte lines was the
// escape loop in JS; this is 3–5× faster on plain lines and 2× on `yes` (measured on V8's baseline
// compiler, which is all the supervisor's WebAssembly gets: store/connection.ts sets --liftoff-only).
//
// The function is assembled here from its opcodes (below, commented as WAT) — tiny, no toolchain.
// Per block of 16 input bytes: store the block at its output place, find the bytes that need an
// escape (< 0x20, '"', '\'); for each, write its escape and store the rest of the block again one
// (or five) bytes further on. A plain block costs a load, a store and four compares. Bytes past
// the last whole block go one at a time. Input is valid UTF-8 (the caller checks): bytes ≥ 0x80 are
// copied, as JSON allows every character but '"', '\' and the controls unescaped.
//
// Memory is fixed (never grown: a view on it stays valid). Jobs' output is read into a region of it
// (output-source.ts: `readRegion`), so a batch that is a slice of a read is escaped where it lies;
// any other input is copied to the input region first. The escaped bytes go to the output region
// and the record is written straight from there. With no WebAssembly SIMD (an old CPU),
// `simdEscape()` gives undefined and record-bytes.ts escapes in JS.

/** Largest input escaped here; a larger batch (rare: lines.ts cuts reads at 256 KiB) is escaped in JS. */
export const SIMD_INPUT_MAX = 512 * 1024

/** Where the reads of jobs' output land, with room in front for a line begun in the last read (output-source.ts). */
export const READ_REGION_BYTES = (256 + 64) * 1024 + 64

// Memory layout (bytes). The escape table (the character after "\", or 0 for none) and hex digits,
// the read buffer, the input, then the output: 6 bytes per input byte at worst, after a record's
// head; slack after each for a 16-byte load or store that runs past the end.
const TABLE = 0
const HEX = 256
const SLACK = 64
const READ = 1024
const INPUT = READ + READ_REGION_BYTES + SLACK
const OUTPUT = INPUT + SIMD_INPUT_MAX + SLACK
const OUTPUT_MAX = 256 + 6 * SIMD_INPUT_MAX + SLACK
const PAGES = Math.ceil((OUTPUT + OUTPUT_MAX) / 65536)

const uleb = (n: number): Array<number> => {
  const out: Array<number> = []
  do {
    const b = n & 0x7f
    n >>>= 7
    out.push(n === 0 ? b : b | 0x80)
  } while (n !== 0)
  return out
}
const sleb = (n: number): Array<number> => {
  const out: Array<number> = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b]
    out.push(b | 0x80)
  }
}
const vec = (items: ReadonlyArray<ReadonlyArray<number>>): Array<number> => [...uleb(items.length), ...items.flat()]
const section = (id: number, bytes: ReadonlyArray<number>): Array<number> => [id, ...uleb(bytes.length), ...bytes]
const name = (s: string): Array<number> => vec([...s].map((c) => [c.charCodeAt(0)]))

// Opcodes (WebAssembly core + SIMD).
const I32 = 0x7f
const V128 = 0x7b
const [BLOCK, LOOP, IF, END, BR, BR_IF] = [0x02, 0x03, 0x04, 0x0b, 0x0c, 0x0d]
const VOID = 0x40
const get = (i: number) => [0x20, i]
const set = (i: number) => [0x21, i]
const tee = (i: number) => [0x22, i]
const i32 = (n: number) => [0x41, ...sleb(n)]
const [EQZ, EQ, GE_U, CTZ, ADD, SUB, AND, OR, SHL, SHR_U] = [0x45, 0x46, 0x4f, 0x68, 0x6a, 0x6b, 0x71, 0x72, 0x74, 0x76]
/** i32.load8_u / store8 / store16 / store with (align, offset). */
const load8 = (offset: number) => [0x2d, 0, ...uleb(offset)]
const store8 = [0x3a, 0, 0]
const store16 = [0x3b, 0, 0]
const store32At2 = [0x36, 0, 2]
const simd = (op: number, ...immediates: Array<number>) => [0xfd, ...uleb(op), ...immediates]
const v128Load = (offset: number) => simd(0x00, 0, ...uleb(offset))
const v128Store = simd(0x0b, 0, 0)
const splat = (byte: number) => simd(0x0c, ...new Array<number>(16).fill(byte)) // v128.const
const [I8X16_EQ, I8X16_LT_U, V128_OR, I8X16_BITMASK] = [0x23, 0x26, 0x50, 0x64]

// escape(i, end, j) -> the output's end: escapes input bytes [i, end) to output from j.
// Locals: d = j - i (where a byte's output is, relative to it), v (a block), m (its escape bits),
// p (the byte being escaped), b (its value), e (its escape character).
const [Ip, ENDp, D, V, M, P, B, E] = [0, 1, 2, 3, 4, 5, 6, 7]

/** The escape of byte b at p (e = table[b] ≠ 0): "\e", or "\u00hh" when e is 'u'; d grows by 1 or 5. */
const escapeByteAtP = [
  ...get(P), ...get(D), ADD, ...i32(0x5c), ...get(E), ...i32(8), SHL, OR, ...store16, // out[p+d] = '\' e
  ...get(E), ...i32(0x75), EQ, IF, VOID, // e == 'u': "00" and two hex digits after it
  ...get(P), ...get(D), ADD,
  ...i32(0x3030), ...get(B), ...i32(4), SHR_U, ...load8(HEX), ...i32(16), SHL, OR,
  ...get(B), ...i32(15), AND, ...load8(HEX), ...i32(24), SHL, OR, ...store32At2,
  ...get(D), ...i32(4), ADD, ...set(D),
  END,
  ...get(D), ...i32(1), ADD, ...set(D)
]

/** b = in[p], e = table[b]. */
const loadByteAtP = [...get(P), ...load8(0), ...tee(B), ...load8(TABLE), ...set(E)]

// prettier-ignore
const body = [
  ...get(D), ...get(Ip), SUB, ...set(D), // d = j - i
  BLOCK, VOID, // $blocks: whole blocks of 16
  LOOP, VOID,
  ...get(Ip), ...i32(16), ADD, ...get(ENDp), 0x4b /* i32.gt_u */, BR_IF, 1, // i + 16 > end: to the tail
  ...get(Ip), ...v128Load(0), ...set(V),
  ...get(Ip), ...get(D), ADD, ...get(V), ...v128Store, // out[i+d..] = block
  ...get(V), ...splat(0x20), ...simd(I8X16_LT_U),
  ...get(V), ...splat(0x22), ...simd(I8X16_EQ), ...simd(V128_OR),
  ...get(V), ...splat(0x5c), ...simd(I8X16_EQ), ...simd(V128_OR),
  ...simd(I8X16_BITMASK), ...tee(M),
  IF, VOID, // some bytes need an escape: each in turn
  LOOP, VOID,
  ...get(Ip), ...get(M), CTZ, ADD, ...set(P), // p = i + lowest bit
  ...get(M), ...get(M), ...i32(1), SUB, AND, ...set(M), // clear it
  ...loadByteAtP,
  ...escapeByteAtP,
  ...get(P), ...get(D), ADD, ...i32(1), ADD, ...get(P), ...v128Load(1), ...v128Store, // the rest, shifted
  ...get(M), BR_IF, 0,
  END,
  END,
  ...get(Ip), ...i32(16), ADD, ...set(Ip),
  BR, 0,
  END,
  END,
  BLOCK, VOID, // $tail: the last bytes, one at a time
  LOOP, VOID,
  ...get(Ip), ...get(ENDp), GE_U, BR_IF, 1,
  ...get(Ip), ...set(P),
  ...loadByteAtP,
  ...get(E), EQZ, IF, VOID,
  ...get(P), ...get(D), ADD, ...get(B), ...store8,
  0x05 /* else */,
  ...escapeByteAtP,
  END,
  ...get(Ip), ...i32(1), ADD, ...set(Ip),
  BR, 0,
  END,
  END,
  ...get(ENDp), ...get(D), ADD,
  END
]

const moduleBytes = (): Uint8Array => {
  const code = [...vec([[1, V128], [4, I32]]), ...body]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])]])), // type: (i32 i32 i32) -> i32
    ...section(3, vec([[0]])), // function 0 of type 0
    ...section(5, vec([[0x01, ...uleb(PAGES), ...uleb(PAGES)]])), // memory, fixed size
    ...section(7, vec([[...name("memory"), 0x02, 0], [...name("escape"), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]]))
  ])
}

/** Per byte: 0 copied as it is, else the character after "\" (or "u" for \u00XX). */
export const escapeTable = (): Uint8Array => {
  const table = new Uint8Array(256)
  for (let b = 0; b < 0x20; b++) table[b] = 0x75 // u
  table[0x08] = 0x62 // \b
  table[0x09] = 0x74 // \t
  table[0x0a] = 0x6e // \n
  table[0x0c] = 0x66 // \f
  table[0x0d] = 0x72 // \r
  table[0x22] = 0x22 // \"
  table[0x5c] = 0x5c // \\
  return table
}

export interface SimdEscape {
  /** Where jobs' output is read (a view on this memory, reused by every read). */
  readonly readRegion: Buffer
  /**
   * `head` (latin1), then `lines` escaped, then `tail` (latin1): a view on this escaper's memory,
   * valid until its next call. `lines` must be valid UTF-8 of at most SIMD_INPUT_MAX bytes.
   */
  encode(head: string, lines: Uint8Array, tail: string): Buffer
}

/** What is used of the WebAssembly global (the project's lib has no DOM types). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports: object) => {
    readonly exports: { readonly memory: { readonly buffer: ArrayBuffer }; readonly escape: (i: number, end: number, j: number) => number }
  }
}

let shared: SimdEscape | undefined
let tried = false

/** The process's escaper (made on first use), or undefined where WebAssembly SIMD cannot be compiled. */
export const simdEscape = (): SimdEscape | undefined => {
  if (!tried) {
    tried = true
    shared = makeSimdEscape()
  }
  return shared
}

/** A new escaper, or undefined where WebAssembly SIMD cannot be compiled. */
export const makeSimdEscape = (): SimdEscape | undefined => {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
  let exports: InstanceType<WasmApi["Instance"]>["exports"]
  try {
    exports = new wasm!.Instance(new wasm!.Module(moduleBytes()), {}).exports
  } catch {
    return undefined
  }
  const memory = exports.memory.buffer
  const escape = exports.escape
  const bytes = Buffer.from(memory)
  bytes.set(escapeTable(), TABLE)
  bytes.write("0123456789abcdef", HEX, "latin1")
  return {
    readRegion: bytes.subarray(READ, READ + READ_REGION_BYTES),
    encode: (head, lines, tail) => {
      // A slice of the read buffer is escaped where it lies; anything else is copied in first.
      const inRead = lines.buffer === memory && lines.byteOffset >= READ && lines.byteOffset + lines.length <= READ + READ_REGION_BYTES
      const from = inRead ? lines.byteOffset : INPUT
      if (!inRead) bytes.set(lines, INPUT)
      const start = OUTPUT + 256 - head.length // head.length ≤ 256: seq, ts and kind
      bytes.write(head, start, "latin1")
      const end = escape(from, from + lines.length, OUTPUT + 256)
      return bytes.subarray(start, end + bytes.write(tail, end, "latin1"))
    }
  }
}
