// Reading a whole file into memory that V8 maps itself, never malloc (issue 13: idle RSS). glibc
// serves a malloc over 128 KiB with an mmap of its own, and the first time such a block is freed it
// raises its mmap threshold to that block's size, and its trim threshold to twice that, for the rest
// of the process: once one 2 MiB buffer has come and gone, every later allocation under 2 MiB comes
// from the brk heap, and up to 4 MiB left free at its top are never given back. The supervisor's
// start-up read three such files (its bundle, the bundle's code cache, SQLite's .wasm): measured,
// malloc's heap stayed at ~9 MiB where fixed thresholds (MALLOC_MMAP_THRESHOLD_) kept it at ~4.6.
// A resizable ArrayBuffer's memory comes from V8's page allocator (mmap/munmap) instead.
// Effect-free: the supervisor's loader (dist/hookd.mjs) uses it too.
import type * as Fs from "node:fs"

type ResizableArrayBufferConstructor = new (byteLength: number, options: { readonly maxByteLength: number }) => ArrayBuffer

/** The file's bytes (as many as it had when opened), in memory outside malloc's heap. Throws like fs.readFileSync. */
export const readWholeFile = (fs: typeof Fs, path: string): Uint8Array => {
  const fd = fs.openSync(path, "r")
  try {
    const size = fs.fstatSync(fd).size
    const bytes = new Uint8Array(new (ArrayBuffer as unknown as ResizableArrayBufferConstructor)(size, { maxByteLength: size }))
    let filled = 0
    while (filled < size) {
      const read = fs.readSync(fd, bytes, filled, size - filled, filled)
      if (read === 0) break // the file shrank since: what it has now
      filled += read
    }
    return filled === size ? bytes : bytes.subarray(0, filled)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * The file as UTF-8 text (invalid bytes replaced, as fs.readFileSync(path, "utf8") does), decoded
 * straight into a string on V8's heap. Not Buffer#toString: for an ASCII text over ~1 MB node makes an
 * external string, a malloc'd copy, that V8 also parses more slowly than its own strings.
 */
export const readWholeTextFile = (fs: typeof Fs, path: string): string => new TextDecoder().decode(readWholeFile(fs, path))
