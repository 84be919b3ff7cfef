import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { useJobLogDir, whenSubscribed } from "./log-sandbox"
import { type TailOptions, tailJobLog } from "../../src/jobs/tail"
import type { LogRecord } from "../../src/protocol/types"

const logs = useJobLogDir("hookd-tail-", "job", "output.jsonl")
const { openLog } = logs

/** A log holding `outputs` stdout lines after a started record, optionally finished. */
const writeLog = (outputs: number, finished: boolean) => {
  const log = openLog()
  log.status({ event: "started", pid: 1 })
  for (let i = 0; i < outputs; i++) log.append("stdout", `line ${i}`)
  if (finished) log.status({ event: "finished", exit_code: 0 })
  return log
}

const collect = (options: Partial<TailOptions>) =>
  Stream.runCollect(tailJobLog({ path: logs.logPath, live: undefined, follow: true, ...options })).pipe(
    Effect.map(Chunk.toArray)
  )
const seqs = (records: ReadonlyArray<LogRecord>) => records.map((r) => r.seq)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe("tailJobLog", () => {
  it.live("a finished log replays every record and ends after the terminal record", () =>
    Effect.gen(function* () {
      writeLog(5, true).close()
      const records = yield* collect({})
      expect(seqs(records)).toEqual(range(0, 6))
      expect(records.at(-1)).toMatchObject({ kind: "status", data: { event: "finished" } })
    }))

  it.live("following a live log that is already terminal replays and ends", () =>
    Effect.gen(function* () {
      const log = writeLog(2, true)
      expect(seqs(yield* collect({ live: log }))).toEqual(range(0, 3))
    }))

  it.live("without follow, a running job's log is replayed and the stream ends", () =>
    Effect.gen(function* () {
      const log = writeLog(3, false)
      expect(seqs(yield* collect({ live: log, follow: false }))).toEqual(range(0, 3))
    }))

  it.live("a missing file without a live log is an empty stream", () =>
    Effect.gen(function* () {
      expect(yield* collect({ path: join(logs.dir, "nope", "output.jsonl") })).toEqual([])
    }))

  it.live("since_seq replays from that seq on, without duplicates", () =>
    Effect.gen(function* () {
      writeLog(8, true).close()
      const first = yield* collect({ sinceSeq: 0, follow: false })
      const resumed = yield* collect({ sinceSeq: first[4]!.seq + 1 })
      expect(seqs(resumed)).toEqual(range(5, 9))
    }))

  it.live("kinds filters what is emitted while the terminal record still ends the stream", () =>
    Effect.gen(function* () {
      const log = openLog()
      log.status({ event: "started", pid: 1 })
      log.append("stdout", "o1")
      log.append("stderr", "e1")
      const subscribed = whenSubscribed(log)
      const tail = yield* Effect.fork(collect({ live: log, kinds: ["stderr"] }))
      yield* subscribed
      log.append("stderr", "e2")
      log.append("stdout", "o2")
      log.status({ event: "finished", exit_code: 0 })
      const records = yield* Fiber.join(tail)
      expect(records.map((r) => r.data)).toEqual(["e1", "e2"])
    }))

  it.live("a follower attached mid-run sees every record exactly once, in order, and ends at the terminal record", () =>
    Effect.gen(function* () {
      const log = writeLog(50, false)
      // Five records land in the file after the follower subscribed but before its replay reads it.
      const followerAttached = whenSubscribed(log, () => {
        for (let i = 0; i < 5; i++) log.append("stdout", `racing ${i}`)
      })
      // The job: keeps appending from its own fiber while the follower replays.
      const writer = yield* Effect.fork(
        Effect.gen(function* () {
          for (let i = 50; i < 395; i++) {
            log.append(i % 3 === 0 ? "stderr" : "stdout", `line ${i}`)
            if (i === 60) yield* followerAttached
            if (i % 7 === 0) yield* Effect.yieldNow()
          }
          log.status({ event: "finished", exit_code: 0 })
        })
      )
      const follower = yield* Effect.fork(collect({ live: log }))
      yield* Fiber.join(writer)
      const records = yield* Fiber.join(follower)
      expect(seqs(records)).toEqual(range(0, 401))
      expect(records.at(-1)).toMatchObject({ data: { event: "finished" } })
    }))

  it.live("a record written between subscribing and reading the file is emitted once", () =>
    Effect.gen(function* () {
      const log = writeLog(3, false)
      // Widen the window deterministically: write right after the follower subscribes, before its replay reads.
      const subscribed = whenSubscribed(log, () => log.append("stdout", "in the window"))
      const follower = yield* Effect.fork(collect({ live: log }))
      yield* subscribed
      log.status({ event: "finished", exit_code: 0 })
      const records = yield* Fiber.join(follower)
      expect(seqs(records)).toEqual(range(0, 5))
      expect(records.filter((r) => r.data === "in the window")).toHaveLength(1)
    }))

  it.live("a live log closed without a terminal record ends the follow", () =>
    Effect.gen(function* () {
      const log = writeLog(2, false)
      const subscribed = whenSubscribed(log)
      const follower = yield* Effect.fork(collect({ live: log }))
      yield* subscribed
      log.append("stdout", "last words")
      log.close()
      expect(seqs(yield* Fiber.join(follower))).toEqual(range(0, 3))
    }))

  it.live("replay emits records in chunks of many, not one per chunk", () =>
    Effect.gen(function* () {
      writeLog(1000, true).close()
      const chunks = yield* Stream.runCollect(
        tailJobLog({ path: logs.logPath, live: undefined, follow: false }).pipe(Stream.chunks, Stream.map(Chunk.size))
      )
      const sizes = Chunk.toArray(chunks)
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(1002)
      expect(sizes.length).toBeLessThan(10)
    }))
})
