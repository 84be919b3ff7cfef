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

// Memory layout (bytes). The escape table (the character after "\", or 0 for none) and hex digits;
// the shuffles that widen half a block (below); the read buffer, the input, then the output: 6 bytes
// per input byte at worst, after a record's head; slack after each for a 16-byte load or store that
// runs past the end.
const TABLE = 0
const HEX = 256
/** Per 8-bit mask of escapes in half a block: where each output byte comes from (low, high half)… */
const WIDEN_LOW = 1024
const WIDEN_HIGH = WIDEN_LOW + 256 * 16
/** …and which output bytes are the "\" of an escape. */
const BACKSLASHES = WIDEN_HIGH + 256 * 16
const SLACK = 64
const READ = 16 * 1024
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
const [EQZ, EQ, GE_U, CTZ, POPCNT, ADD, SUB, AND, OR, SHL, SHR_U] = [0x45, 0x46, 0x4f, 0x68, 0x69, 0x6a, 0x6b, 0x71, 0x72, 0x74, 0x76]
/** i32.load8_u / store8 / store16 / store with (align, offset). */
const load8 = (offset: number) => [0x2d, 0, ...uleb(offset)]
const store8 = [0x3a, 0, 0]
const store16 = [0x3b, 0, 0]
const store32At2 = [0x36, 0, 2]
const simd = (op: number, ...immediates: Array<number>) => [0xfd, ...uleb(op), ...immediates]
const v128Load = (offset: number) => simd(0x00, 0, ...uleb(offset))
const v128Store = simd(0x0b, 0, 0)
const v128Const = (bytes: ReadonlyArray<number>) => simd(0x0c, ...bytes)
const splat = (byte: number) => v128Const(new Array<number>(16).fill(byte))
const [I8X16_SWIZZLE, I8X16_EQ, I8X16_LT_U, V128_AND, V128_OR, V128_BITSELECT, I8X16_BITMASK] = [0x0e, 0x23, 0x26, 0x4e, 0x50, 0x52, 0x64]
/** The letter of a two-byte escape for bytes 0–15 (\b \t \n \f \r), else 0. */
const SHORT_ESCAPES = [0, 0, 0, 0, 0, 0, 0, 0, 0x62, 0x74, 0x6e, 0, 0x66, 0x72, 0, 0]

// escape(i, end, j) -> the output's end: escapes input bytes [i, end) to output from j.
// Locals: d = j - i (where a byte's output is, relative to it), v (a block), lt / qb (its bytes
// below 0x20 / its '"' and '\'), let (their escape letters), m (escape bits), h (half of them),
// o (output position), p (the byte being escaped), b (its value), e (its escape character).
const [Ip, ENDp, D, V, LT, QB, LET, M, H, O, P, B, E] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]

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

/**
 * Half a block (h: its 8 escape bits) widened at o: each byte, or "\" and its escape letter (let
 * holds the block with its escaped bytes replaced by their letters); o moves past it.
 */
const widenHalf = (widen: number) => [
  ...get(O),
  ...splat(0x5c), ...get(LET), ...get(H), ...i32(4), SHL, ...v128Load(widen), ...simd(I8X16_SWIZZLE),
  ...get(H), ...i32(4), SHL, ...v128Load(BACKSLASHES), ...simd(V128_BITSELECT),
  ...v128Store,
  ...get(O), ...i32(8), ADD, ...get(H), POPCNT, ADD, ...set(O)
]

/** Each escape of the block in turn: write it, then store the rest of the block again further on. */
const escapeEachInTurn = [
  LOOP, VOID,
  ...get(Ip), ...get(M), CTZ, ADD, ...set(P), // p = i + lowest bit
  ...get(M), ...get(M), ...i32(1), SUB, AND, ...set(M), // clear it
  ...loadByteAtP,
  ...escapeByteAtP,
  ...get(P), ...get(D), ADD, ...i32(1), ADD, ...get(P), ...v128Load(1), ...v128Store, // the rest, shifted
  ...get(M), BR_IF, 0,
  END
]

// prettier-ignore
const body = [
  ...get(D), ...get(Ip), SUB, ...set(D), // d = j - i
  BLOCK, VOID, // $blocks: whole blocks of 16
  LOOP, VOID,
  ...get(Ip), ...i32(16), ADD, ...get(ENDp), 0x4b /* i32.gt_u */, BR_IF, 1, // i + 16 > end: to the tail
  ...get(Ip), ...v128Load(0), ...set(V),
  ...get(Ip), ...get(D), ADD, ...get(V), ...v128Store, // out[i+d..] = block
  ...get(V), ...splat(0x20), ...simd(I8X16_LT_U), ...set(LT),
  ...get(V), ...splat(0x22), ...simd(I8X16_EQ), ...get(V), ...splat(0x5c), ...simd(I8X16_EQ), ...simd(V128_OR), ...set(QB),
  ...get(LT), ...get(QB), ...simd(V128_OR), ...simd(I8X16_BITMASK), ...tee(M),
  IF, VOID, // some bytes need an escape
  ...v128Const(SHORT_ESCAPES), ...get(V), ...simd(I8X16_SWIZZLE), ...get(V), ...get(QB), ...simd(V128_AND), ...simd(V128_OR), ...set(LET),
  ...get(LT), ...get(LET), ...splat(0), ...simd(I8X16_EQ), ...simd(V128_AND), ...simd(I8X16_BITMASK),
  IF, VOID, // a control that needs "\u00hh": one escape at a time
  ...escapeEachInTurn,
  0x05 /* else */, // only two-byte escapes: widen each half with a shuffle
  ...get(LET), ...get(V), ...get(LT), ...get(QB), ...simd(V128_OR), ...simd(V128_BITSELECT), ...set(LET),
  ...get(Ip), ...get(D), ADD, ...set(O),
  ...get(M), ...i32(0xff), AND, ...set(H), ...widenHalf(WIDEN_LOW),
  ...get(M), ...i32(8), SHR_U, ...set(H), ...widenHalf(WIDEN_HIGH),
  ...get(O), ...get(Ip), SUB, ...i32(16), SUB, ...set(D), // d = o - (i + 16)
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
  const code = [...vec([[4, V128], [6, I32]]), ...body]
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

/**
 * For each 8-bit mask of escapes in half a block: the source byte of each output byte (an escaped
 * byte twice: its "\", then its letter; 0x80 past the end gives 0), for the low and the high half,
 * and 0xff where an output byte is a "\".
 */
const writeWideningShuffles = (bytes: Buffer): void => {
  for (let mask = 0; mask < 256; mask++) {
    const from = Buffer.alloc(16, 0x80)
    const backslash = Buffer.alloc(16, 0)
    for (let k = 0, o = 0; k < 8; k++) {
      if ((mask >> k) & 1) backslash[o] = 0xff
      if ((mask >> k) & 1) from[o++] = k
      from[o++] = k
    }
    from.copy(bytes, WIDEN_LOW + mask * 16)
    from.map((b) => (b === 0x80 ? b : b + 8)).forEach((b, o) => (bytes[WIDEN_HIGH + mask * 16 + o] = b))
    backslash.copy(bytes, BACKSLASHES + mask * 16)
  }
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
  writeWideningShuffles(bytes)
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
