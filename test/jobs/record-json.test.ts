// Records that write their own JSON (issue 14 item 5): a replayed or followed record (from the log
// file's bytes) goes into StreamFrames byte-identical to frames of the plain
// record, without their data ever being decoded on the way; reading `data` still gives the text.
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { parseOutputHead } from "../../src/jobs/log-records"
import { tailJobLog } from "../../src/jobs/tail"
import { recordJsonOf } from "../../src/protocol/encoded-record"
import { encodeFrames, encodeFramesInto } from "../../src/protocol/framing"
import { response, type LogRecord } from "../../src/protocol/types"
import { useJobLogDir } from "./log-sandbox"

const logs = useJobLogDir("hookd-record-json-", "job", "output.jsonl")

// Over OWN_JSON_MIN_BYTES: a shorter record is a plain one.
const TEXT = ['plain', '"quoted" \\ tab\t', "é ñ 😀 \u2028", "", "\u0001 control"].join("\n").repeat(100)
const plain = (r: LogRecord): LogRecord => ({ seq: r.seq, ts: r.ts, kind: r.kind, data: r.data } as LogRecord)
const frames = (records: ReadonlyArray<LogRecord>) => records.map((record, i) => response("StreamFrame", { record, job: `job "${i}"` }, `id-${i}`))

/**
 * Frames of records that write their JSON equal frames of their plain copies, in a scratch buffer
 * (and, `again`, in a buffer of their own: a replayed record is sent once, a live one to every reader).
 */
const expectSameFrames = (records: ReadonlyArray<LogRecord>, again = true) => {
  const expected = encodeFrames(frames(records.map(plain)))
  expect(Buffer.compare(encodeFramesInto(frames(records), Buffer.alloc(1024 * 1024)), expected)).toBe(0)
  if (again) expect(Buffer.compare(encodeFramesInto(frames(records), Buffer.alloc(16)), expected)).toBe(0)
}

describe("records that write their own JSON", () => {
  it.live("a followed record is read from the file's bytes too; its frame equals the plain record's", () =>
    Effect.gen(function* () {
      const log = logs.openLog()
      log.status({ event: "started", pid: 1 })
      const follower = yield* Effect.fork(Stream.runCollect(tailJobLog({ path: logs.logPath, live: log, follow: true })))
      yield* Effect.yieldNow()
      log.appendLines("stdout", Buffer.from(TEXT))
      log.appendLines("stderr", Buffer.from([0x61, 0xff, 0x62])) // invalid UTF-8: a plain, decoded record
      yield* Effect.yieldNow()
      log.append("stdout", "x".repeat(70_000))
      log.append("stdout", "short")
      log.status({ event: "finished", exit_code: 0 })
      const live = Chunk.toArray(yield* Fiber.join(follower))
      expect(live.map((r) => recordJsonOf(r) !== undefined)).toEqual([false, true, false, true, false, false])
      expect(live[1]!.data).toBe(TEXT)
      expect(live[2]!.data).toBe("a\uFFFDb")
      expectSameFrames(live, false)
      expect(logs.readRecords()).toEqual(live.map(plain))
    }))

  it.live("a replayed record keeps the file's bytes; its frame equals the plain record's, and data decodes on demand", () =>
    Effect.gen(function* () {
      const log = logs.openLog()
      log.status({ event: "started", pid: 1 })
      log.appendLines("stdout", Buffer.from(TEXT))
      log.appendLines("stderr", Buffer.from("one line ".repeat(600)))
      log.appendLines("stderr", Buffer.from("short"))
      log.status({ event: "finished", exit_code: 0 })
      const replayed = Chunk.toArray(yield* Stream.runCollect(tailJobLog({ path: logs.logPath, live: undefined, follow: false })))
      expect(replayed.map((r) => recordJsonOf(r) !== undefined)).toEqual([false, true, true, false, false])
      expect(replayed.map(plain)).toEqual(logs.readRecords())
      expectSameFrames(replayed, false)
    }))

  it.live("a replay collected whole (records not sent) keeps every record intact across the reused read buffers", () =>
    Effect.gen(function* () {
      const log = logs.openLog()
      const expected: Array<string> = []
      for (let i = 0; i < 40; i++) {
        const text = `${i} `.repeat(20_000) // 40 records of 40-120 KB: many more than the read buffers hold
        expected.push(text)
        log.append("stdout", text)
      }
      log.status({ event: "finished", exit_code: 0 })
      const replayed = Chunk.toArray(yield* Stream.runCollect(tailJobLog({ path: logs.logPath, live: undefined, follow: false })))
      expect(replayed.filter((r) => r.kind === "stdout").map((r) => r.data)).toEqual(expected)
      expect(replayed.map(plain)).toEqual(logs.readRecords())
      expectSameFrames(replayed, false)
    }))

  it("only a stdout/stderr line in the writer's shape is read by its head; anything else is left to the JSON parser", () => {
    const line = (s: string) => Buffer.from(s)
    expect(parseOutputHead(line('{"seq":12,"ts":1732450000123,"kind":"stderr","data":"a\\nb"}'))).toEqual({ seq: 12, ts: 1732450000123, kind: "stderr" })
    for (const other of [
      '{"seq":3,"ts":1732450000123,"kind":"status","data":{"event":"started","pid":1}}',
      '{"ts":1732450000123,"seq":3,"kind":"stdout","data":"keys in another order"}',
      '{"seq":3,"ts":1732450000123,"kind":"stdout","data":"torn',
      "not json at all, but long enough to be looked at"
    ]) {
      expect(parseOutputHead(line(other))).toBeUndefined()
    }
  })
})
