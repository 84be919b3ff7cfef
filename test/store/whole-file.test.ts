// Whole files read outside malloc's heap (store/whole-file.ts): the bytes of the file, in a resizable
// ArrayBuffer (memory V8 maps itself); text decoded as UTF-8; errors as fs.readFileSync's. And the
// SQLite loader's temporary fs.readFileSync (connection.ts) is put back once the library is loaded.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { openConnection } from "../../src/store/connection"
import { readWholeFile, readWholeTextFile } from "../../src/store/whole-file"
import { tempDir, useTempDirs } from "./helpers"

useTempDirs()

const isResizable = (buffer: ArrayBufferLike): boolean => (buffer as { readonly resizable?: boolean }).resizable === true

describe("readWholeFile", () => {
  it.each<[string, Uint8Array]>([
    ["every byte value", Uint8Array.from({ length: 512 }, (_, i) => i % 256)],
    ["an empty file", new Uint8Array(0)],
    ["more than one read's worth (3 MiB)", Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7) % 251)]
  ])("%s: the file's bytes, in a resizable ArrayBuffer", (_, content) => {
    const path = join(tempDir(), "file")
    fs.writeFileSync(path, content)
    const bytes = readWholeFile(fs, path)
    expect(Buffer.from(bytes).equals(Buffer.from(content))).toBe(true)
    expect(isResizable(bytes.buffer)).toBe(true)
  })

  it("a missing file throws ENOENT, as fs.readFileSync does", () => {
    expect(() => readWholeFile(fs, join(tempDir(), "missing"))).toThrow(expect.objectContaining({ code: "ENOENT" }))
  })

  it("a directory throws EISDIR", () => {
    expect(() => readWholeFile(fs, tempDir())).toThrow(expect.objectContaining({ code: "EISDIR" }))
  })
})

describe("readWholeTextFile", () => {
  it("decodes UTF-8, multi-byte characters included", () => {
    const path = join(tempDir(), "text")
    const text = "ascii, é, 日本語, 🙂\n".repeat(1000)
    fs.writeFileSync(path, text, "utf8")
    expect(readWholeTextFile(fs, path)).toBe(text)
  })
})

describe("loading SQLite", () => {
  it.scopedLive("leaves fs.readFileSync as it found it", () =>
    Effect.gen(function* () {
      const commonJsFs = createRequire(import.meta.url)("node:fs") as typeof fs
      const before = commonJsFs.readFileSync
      const connection = yield* openConnection(join(tempDir(), "x.db"))
      connection.close()
      expect(commonJsFs.readFileSync).toBe(before)
    }))
})
