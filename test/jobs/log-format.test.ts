// Log format 2 (issue 13): an output record carries a batch of lines of one stream. A record with
// several lines replays and follows without gap or duplicate; a format-1 log (one line per record)
// reads as it is; the bytes written are exactly JSON.stringify's; the byte budget cuts between lines.
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Stream from "effect/Stream"
import { useJobLogDir } from "./log-sandbox"
import { fittingPrefix } from "../../src/jobs/log-records"
import { encodeOutputLine } from "../../src/jobs/record-bytes"
import { type TailOptions, tailJobLog } from "../../src/jobs/tail"
import type { LogRecord } from "../../src/protocol/types"

const logs = useJobLogDir("hookd-format-", "job", "output.jsonl")
const { openLog, readRecords: fileRecords } = logs
const collect = (options: Partial<TailOptions>) =>
  Stream.runCollect(tailJobLog({ path: logs.logPath, live: undefined, follow: true, ...options })).pipe(Effect.map(Chunk.toArray))
/** The output lines a list of records holds, in order (each record's data split at "\n"). */
const linesOf = (records: ReadonlyArray<LogRecord>, kind: "stdout" | "stderr" = "stdout") =>
  records.flatMap((r) => (r.kind === kind ? r.data.split("\n") : []))
const expectConsecutive = (records: ReadonlyArray<LogRecord>, from = 0) =>
  expect(records.map((r) => r.seq)).toEqual(Array.from({ length: records.length }, (_, i) => from + i))

/** Batch i: 1 to 40 lines, with characters that need escaping, multi-byte text and empty lines. */
const batch = (i: number): Array<string> =>
  Array.from({ length: 1 + ((i * 7) % 40) }, (_, k) => (k % 9 === 4 ? "" : `b${i} l${k} "q" \\ \t é 😀 ${"x".repeat(k)}`))

describe("log format 2: several lines per record", () => {
  it.live("records carrying several lines replay and follow without gap or duplicate, from any since_seq", () =>
    Effect.gen(function* () {
      const log = openLog()
      log.status({ event: "started", pid: 1 })
      const expected: Array<string> = []
      const append = (i: number) => {
        const lines = batch(i)
        expected.push(...lines)
        log.appendLines("stdout", Buffer.from(lines.join("\n")))
      }
      for (let i = 0; i < 30; i++) append(i)
      // A follower attaches mid-run; two batches land between its watch and its next read.
      const subscribed = Deferred.unsafeMake<void>(FiberId.none)
      const watch = log.watch.bind(log)
      log.watch = (onGrow, onClose) => {
        const unsubscribe = watch(onGrow, onClose)
        append(30)
        append(31)
        Deferred.unsafeDone(subscribed, Exit.void)
        return unsubscribe
      }
      const follower = yield* Effect.fork(collect({ live: log }))
      yield* Deferred.await(subscribed)
      for (let i = 32; i < 200; i++) {
        append(i)
        if (i % 5 === 0) yield* Effect.yieldNow()
      }
      log.status({ event: "finished", exit_code: 0 })
      const followed = yield* Fiber.join(follower)
      expectConsecutive(followed)
      expect(linesOf(followed)).toEqual(expected)
      expect(followed.some((r) => r.kind === "stdout" && r.data.includes("\n"))).toBe(true)
      // The file holds the same records, and every since_seq resumes exactly there.
      expect(yield* collect({ follow: false })).toEqual(followed)
      for (const since of [0, 1, 17, 100, followed.length - 1]) {
        const resumed = yield* collect({ sinceSeq: since, follow: false })
        expectConsecutive(resumed, since)
        expect(resumed).toEqual(followed.slice(since))
      }
    }))

  it.live("a format-1 log (one line per record) replays as it is, and a new writer continues its seq", () =>
    Effect.gen(function* () {
      const v1 = [
        { seq: 0, ts: 1732450000123, kind: "status", data: { event: "started", pid: 4242 } },
        { seq: 1, ts: 1732450000130, kind: "stdout", data: "installing…" },
        { seq: 2, ts: 1732450000131, kind: "stderr", data: "warn: \"x\"" },
        { seq: 3, ts: 1732450000132, kind: "stdout", data: "" },
        { seq: 4, ts: 1732450000140, kind: "stdout", data: "done" }
      ]
      mkdirSync(dirname(logs.logPath), { recursive: true })
      writeFileSync(logs.logPath, v1.map((r) => JSON.stringify(r) + "\n").join(""))
      expect(yield* collect({ follow: false })).toEqual(v1)
      expect(yield* collect({ sinceSeq: 3, follow: false })).toEqual(v1.slice(3))
      const log = openLog()
      log.appendLines("stdout", Buffer.from("more\nlines"))
      log.status({ event: "finished", exit_code: 0 })
      const all = yield* collect({})
      expectConsecutive(all)
      expect(linesOf(all)).toEqual(["installing…", "", "done", "more", "lines"])
    }))
})

describe("the bytes of an output record", () => {
  const stringified = (lines: Buffer) =>
    JSON.stringify({ seq: 7, ts: 1732450000123, kind: "stderr", data: lines.toString("utf8") }) + "\n"

  it("are JSON.stringify's for every byte value, valid or not as UTF-8", () => {
    for (let b = 0; b < 256; b++) {
      const lines = Buffer.from([0x61, b, 0x62, 0x0a, b])
      expect(encodeOutputLine(7, 1732450000123, "stderr", lines).toString("utf8")).toBe(stringified(lines))
    }
  })

  it("are JSON.stringify's for dense and sparse escapes, multi-byte text, odd offsets and long batches", () => {
    const texts = [
      "y\n".repeat(5000),
      ("x".repeat(99) + "\n").repeat(600),
      `"quoted" \\ back\tslash\r\n\u0001\u001f\u007f é ñ 😀 \u2028`.repeat(300),
      "plain ascii without any escape at all".repeat(1000),
      ""
    ]
    for (const text of texts) {
      const whole = Buffer.from("!" + text)
      for (const start of [0, 1]) {
        const lines = whole.subarray(start) // a slice at an odd offset takes the byte path
        expect(encodeOutputLine(7, 1732450000123, "stderr", lines).toString("utf8")).toBe(stringified(lines))
      }
    }
    // Invalid UTF-8 is decoded (U+FFFD), as the per-line writer did.
    const invalid = Buffer.from([0x61, 0xff, 0xc3, 0x0a, 0xe2, 0x82])
    expect(encodeOutputLine(7, 1732450000123, "stderr", invalid).toString("utf8")).toBe(stringified(invalid))
  })
})

describe("the byte budget and sampling with batches", () => {
  it.each([
    // [written so far, budget, batch, prefix that fits]
    [0, 0, "a\nbb\nccc", 8], // no budget
    [0, 100, "a\nbb\nccc", 8], // all fits
    [0, 8, "a\nbb\nccc", 8], // exactly
    [0, 7, "a\nbb\nccc", 4], // "a\nbb"
    [0, 4, "a\nbb\nccc", 4],
    [0, 3, "a\nbb\nccc", 1], // "a"
    [0, 0.5, "a\nbb", -1], // not even the first line
    [5, 6, "\nx", 0], // the first (empty) line fits
    [9, 8, "a", -1] // already over
  ])("written %d of %d, batch %j: a prefix of %d bytes fits", (written, budget, text, fits) => {
    expect(fittingPrefix(written, budget, Buffer.from(text))).toBe(fits)
  })

  it("the budget cuts a batch between lines, then one truncated record, then nothing", () => {
    const log = openLog({ maxBytes: 12 })
    log.appendLines("stdout", Buffer.from("12345\n1234\nabc\nlost"))
    log.appendLines("stderr", Buffer.from("late"))
    log.status({ event: "finished", exit_code: 0 })
    expect(fileRecords().map((r) => [r.seq, r.kind, r.data])).toEqual([
      [0, "stdout", "12345\n1234"],
      [1, "status", { event: "truncated", at_bytes: 10 }],
      [2, "status", { event: "finished", exit_code: 0 }]
    ])
  })

  it("with sampling every line stays a record of its own and seq counts lines, as in format 1", () => {
    const log = openLog({ samplingEveryNth: 2 })
    log.status({ event: "started", pid: 1 }) // seq 0
    log.appendLines("stdout", Buffer.from("l1\nl2\nl3\nl4\nl5")) // seq 1..5
    expect(fileRecords().map((r) => [r.seq, r.data])).toEqual([
      [0, { event: "started", pid: 1 }],
      [2, "l2"],
      [4, "l4"]
    ])
  })
})
