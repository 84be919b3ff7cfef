// The lazy job log (issue 13: disk per trivial job): no directory or file until the first output
// byte; until then its records are held in memory, and every reader gets them all the same.
import { existsSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { describe as plainDescribe, expect as plainExpect, it as plainIt } from "vitest"
import { recordsOfRow } from "../../src/domain/row-records"
import { JobLog } from "../../src/jobs/job-log"
import { type TailOptions, tailJobLog } from "../../src/jobs/tail"
import type { LogRecord } from "../../src/protocol/types"
import { useJobLogDir, whenSubscribed } from "./log-sandbox"

const logs = useJobLogDir("hookd-lazy-", "inv", "job", "output.jsonl")

const lazyLog = () => JobLog.lazy(logs.logPath)
const collect = (options: Partial<TailOptions>) =>
  Stream.runCollect(tailJobLog({ path: logs.logPath, live: undefined, follow: true, ...options })).pipe(Effect.map(Chunk.toArray))
const seqs = (records: ReadonlyArray<LogRecord>) => records.map((r) => r.seq)
const events = (records: ReadonlyArray<LogRecord>) => records.map((r) => (r.kind === "status" ? r.data.event : r.data))

/** A follower of `log`, once it has subscribed (`then` runs right after its subscription). */
const following = (log: JobLog, then?: () => void) =>
  Effect.gen(function* () {
    const subscribed = whenSubscribed(log, then)
    const fiber = yield* Effect.fork(collect({ live: log }))
    yield* subscribed
    return fiber
  })

/** A silent job's row, final: what readers make its records from. */
const silentRow = { status: "completed", pid: 7, started_at: 1000, finished_at: 1005, exit_code: 0, signal: null, error: null, skip_reason: null } as const

plainDescribe("JobLog.lazy", () => {
  plainIt("a job that writes nothing creates no directory and no file; its records are held", () => {
    const log = lazyLog()
    log.status({ event: "started", pid: 7 }, 1000)
    log.status({ event: "finished", exit_code: 0 }, 1005)
    plainExpect(log.keepUnless(recordsOfRow(silentRow))).toBe(true)
    log.close()
    plainExpect(existsSync(dirname(logs.logPath))).toBe(false)
    plainExpect(log.bytes).toBe(0)
    plainExpect(log.unwrittenRecords()).toEqual(recordsOfRow(silentRow))
  })

  plainIt("the first output creates the file, with the held records first, seq continuing", () => {
    const log = lazyLog()
    log.status({ event: "started", pid: 7 }, 1000)
    plainExpect(existsSync(logs.logPath)).toBe(false)
    log.append("stdout", "hello")
    log.status({ event: "finished", exit_code: 0 })
    log.close()
    plainExpect(log.unwrittenRecords()).toBeUndefined()
    const records = logs.readRecords()
    plainExpect(seqs(records)).toEqual([0, 1, 2])
    plainExpect(events(records)).toEqual(["started", "hello", "finished"])
    plainExpect(log.bytes).toBeGreaterThan(0)
  })

  plainIt("records the row cannot stand for are written at the job's end", () => {
    const log = lazyLog()
    log.status({ event: "started", pid: 7 }, 1000)
    log.status({ event: "finished", exit_code: 0 }, 1005)
    // The row says something else happened (here: another exit code): the records go to the file.
    plainExpect(log.keepUnless(recordsOfRow({ ...silentRow, exit_code: 1 }))).toBe(true)
    log.close()
    plainExpect(events(logs.readRecords())).toEqual(["started", "finished"])
  })

  plainIt("an attempt_failed record (no row field holds it) creates the file at once", () => {
    const log = lazyLog()
    log.status({ event: "started", pid: 7 })
    log.status({ event: "attempt_failed", attempt: 1, of: 2, exit_code: 1, retry_in_ms: 10 })
    plainExpect(events(logs.readRecords())).toEqual(["started", "attempt_failed"])
    log.close()
  })

  plainIt("a file that cannot be created fails the log once; output is dropped, records stay held", () => {
    // The job's directory's parent is a file: mkdir fails.
    writeFileSync(join(logs.dir, "inv"), "")
    const log = lazyLog()
    const failures: Array<Error> = []
    log.onWriteFailed((e) => failures.push(e))
    log.status({ event: "started", pid: 7 })
    log.append("stdout", "lost")
    log.append("stdout", "lost too")
    plainExpect(failures).toHaveLength(1)
    plainExpect((failures[0] as NodeJS.ErrnoException).code).toBe("ENOTDIR")
    plainExpect(log.status({ event: "crashed", message: "log write failed" })).toBeDefined()
    plainExpect(events(log.unwrittenRecords()!)).toEqual(["started", "crashed"])
    log.close()
  })
})

describe("tailJobLog of a lazy log", () => {
  it.live("a finished silent job replays its held records, following or not", () =>
    Effect.gen(function* () {
      const log = lazyLog()
      log.status({ event: "started", pid: 7 }, 1000)
      log.status({ event: "finished", exit_code: 0 }, 1005)
      log.close()
      expect(yield* collect({ live: log })).toEqual(recordsOfRow(silentRow))
      expect(yield* collect({ live: log, follow: false })).toEqual(recordsOfRow(silentRow))
      expect(existsSync(logs.logPath)).toBe(false)
    }))

  it.live("a job found only in the store, without a file, replays the records of its row", () =>
    Effect.gen(function* () {
      expect(yield* collect({ rowRecords: () => recordsOfRow(silentRow) })).toEqual(recordsOfRow(silentRow))
      expect(yield* collect({ rowRecords: () => recordsOfRow(silentRow), sinceSeq: 1 })).toEqual(recordsOfRow(silentRow).slice(1))
      expect(yield* collect({ rowRecords: () => recordsOfRow(silentRow), kinds: ["stdout"] })).toEqual([])
    }))

  it.live("a follower of a silent running job gets the end live", () =>
    Effect.gen(function* () {
      const log = lazyLog()
      log.status({ event: "started", pid: 7 })
      const fiber = yield* following(log)
      log.status({ event: "finished", exit_code: 0 })
      log.close()
      expect(events(yield* Fiber.join(fiber))).toEqual(["started", "finished"])
      expect(existsSync(logs.logPath)).toBe(false)
    }))

  it.live("output that comes late (after the follower replayed the held records) follows without gap or duplicate", () =>
    Effect.gen(function* () {
      const log = lazyLog()
      log.status({ event: "started", pid: 7 })
      const fiber = yield* following(log)
      for (let i = 0; i < 20; i++) log.append("stdout", `late ${i}`)
      log.status({ event: "finished", exit_code: 0 })
      log.close()
      const records = yield* Fiber.join(fiber)
      expect(seqs(records)).toEqual(Array.from({ length: 22 }, (_, i) => i))
      expect(records).toEqual(logs.readRecords())
    }))

  it.live("the first output landing right as the follower subscribes (file appears mid-replay) is neither lost nor doubled", () =>
    Effect.gen(function* () {
      const log = lazyLog()
      log.status({ event: "started", pid: 7 })
      const fiber = yield* following(log, () => log.append("stdout", "first"))
      log.append("stdout", "second")
      log.status({ event: "finished", exit_code: 0 })
      log.close()
      const records = yield* Fiber.join(fiber)
      expect(events(records)).toEqual(["started", "first", "second", "finished"])
      expect(seqs(records)).toEqual([0, 1, 2, 3])
    }))

  it.live("a follower that falls behind a lazy log's output reads the file it created, without gap or duplicate", () =>
    Effect.gen(function* () {
      const log = lazyLog()
      log.status({ event: "started", pid: 7 })
      const fiber = yield* following(log)
      // Much output before the follower runs again: it reads it from the file the first output created.
      const line = "x".repeat(1000)
      for (let i = 0; i < 2000; i++) log.append("stdout", line)
      log.status({ event: "finished", exit_code: 0 })
      log.close()
      const records = yield* Fiber.join(fiber)
      expect(seqs(records)).toEqual(Array.from({ length: 2002 }, (_, i) => i))
    }))
})
