import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { describe, expect, it } from "vitest"
import { appendTerminalRecord } from "../../src/jobs/job-log"
import { useJobLogDir } from "./log-sandbox"
import type { LogRecord } from "../../src/protocol/types"

const logs = useJobLogDir("hookd-log-", "logs", "0123456789abcdef", "build", "output.jsonl")
const { openLog, readRecords } = logs

describe("JobLog", () => {
  it("writes one JSON line per record with seq, ts, kind and data", () => {
    const log = openLog()
    const before = Date.now()
    log.status({ event: "started", pid: 42 })
    log.append("stdout", "out ✓")
    log.append("stderr", "err")
    log.status({ event: "finished", exit_code: 0 })
    const records = readRecords()
    expect(records.map((r) => [r.seq, r.kind, r.data])).toEqual([
      [0, "status", { event: "started", pid: 42 }],
      [1, "stdout", "out ✓"],
      [2, "stderr", "err"],
      [3, "status", { event: "finished", exit_code: 0 }]
    ])
    for (const r of records) {
      expect(Object.keys(r)).toEqual(["seq", "ts", "kind", "data"])
      expect(r.ts).toBeGreaterThanOrEqual(before)
    }
    expect(log.bytes).toBe(statSync(logs.logPath).size)
  })

  it("creates 0700 directories and a 0600 file", () => {
    openLog().status({ event: "started", pid: 1 })
    expect(statSync(logs.logPath).mode & 0o777).toBe(0o600)
    expect(statSync(join(logs.dir, "logs", "0123456789abcdef", "build")).mode & 0o777).toBe(0o700)
    expect(statSync(join(logs.dir, "logs")).mode & 0o777).toBe(0o700)
  })

  it("sampling every 3rd keeps output records whose seq is a multiple of 3 and every status record", () => {
    const log = openLog({ samplingEveryNth: 3 })
    log.status({ event: "started", pid: 1 }) // seq 0
    for (let i = 1; i <= 10; i++) log.append("stdout", `line ${i}`) // seq 1..10
    log.status({ event: "truncated", at_bytes: 0 }) // seq 11: status is never sampled out
    log.append("stderr", "x") // seq 12
    log.status({ event: "finished", exit_code: 0 }) // seq 13
    const records = readRecords()
    expect(records.filter((r) => r.kind !== "status").map((r) => r.seq)).toEqual([3, 6, 9, 12])
    expect(records.filter((r) => r.kind === "status").map((r) => r.seq)).toEqual([0, 11, 13])
    expect(records.find((r) => r.seq === 3)!.data).toBe("line 3")
  })

  it("after max bytes of output writes one truncated record and no more output, and the terminal record still comes", () => {
    const log = openLog({ maxBytes: 10 })
    for (let i = 0; i < 6; i++) log.append("stdout", "12345")
    log.append("stderr", "late")
    log.status({ event: "finished", exit_code: 0 })
    const records = readRecords()
    expect(records.map((r) => [r.kind, r.data])).toEqual([
      ["stdout", "12345"],
      ["stdout", "12345"],
      ["status", { event: "truncated", at_bytes: 10 }],
      ["status", { event: "finished", exit_code: 0 }]
    ])
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3])
  })

  it("writes exactly one terminal record, as the last line", () => {
    const log = openLog()
    expect(log.isTerminal).toBe(false)
    expect(log.status({ event: "cancelled", by: "user" })).toMatchObject({ seq: 0, kind: "status" })
    expect(log.isTerminal).toBe(true)
    expect(log.status({ event: "finished", exit_code: 0 })).toBeUndefined()
    expect(log.status({ event: "truncated", at_bytes: 1 })).toBeUndefined()
    log.append("stdout", "after the end")
    expect(readRecords().map((r) => r.data)).toEqual([{ event: "cancelled", by: "user" }])
  })

  it("reopening an existing log continues its seq", () => {
    const first = openLog()
    first.status({ event: "started", pid: 1 })
    first.append("stdout", "a")
    first.close()
    const again = openLog()
    expect(again.isTerminal).toBe(false)
    again.append("stdout", "b")
    expect(readRecords().map((r) => r.seq)).toEqual([0, 1, 2])
    expect(again.bytes).toBe(statSync(logs.logPath).size)
  })

  it("reopening a log whose last line is torn cuts it off and continues after the last whole record", () => {
    const first = openLog()
    first.append("stdout", "a")
    first.close()
    appendFileSync(logs.logPath, '{"seq":1,"ts":1,"ki')
    const again = openLog()
    again.append("stdout", "b")
    const lines = readFileSync(logs.logPath, "utf8").split("\n")
    expect(lines.map((l) => (l === "" ? "" : JSON.parse(l).data))).toEqual(["a", "b", ""])
    expect(again.bytes).toBe(statSync(logs.logPath).size)
  })

  it("a log that is nothing but a torn line starts over from seq 0", () => {
    mkdirSync(dirname(logs.logPath), { recursive: true })
    writeFileSync(logs.logPath, '{"seq')
    const log = openLog()
    log.status({ event: "started", pid: 1 })
    expect(readFileSync(logs.logPath, "utf8")).toMatch(/^\{"seq":0,[^\n]*\n$/)
  })

  it("a reopened log that ends in a terminal record is terminal", () => {
    const first = openLog()
    first.status({ event: "finished", exit_code: 1 })
    first.close()
    expect(openLog().isTerminal).toBe(true)
  })

  it("watchers hear of each record once it is in the file (up to `bytes`), until they stop watching; close is announced", () => {
    const log = openLog()
    const seen: Array<{ bytes: number; inFile: string }> = []
    let closed = 0
    const unwatch = log.watch(
      () => seen.push({ bytes: log.bytes, inFile: readFileSync(logs.logPath, "utf8") }),
      () => closed++
    )
    log.append("stdout", "one")
    log.status({ event: "started", pid: 3 })
    unwatch()
    log.append("stdout", "two")
    expect(seen).toHaveLength(2)
    expect(seen.map((s) => s.inFile.length)).toEqual(seen.map((s) => s.bytes))
    expect(seen.map((s) => s.inFile.trimEnd().split("\n").map((line) => (JSON.parse(line) as LogRecord).seq))).toEqual([[0], [0, 1]])
    const closeSeen: Array<number> = []
    log.watch(() => {}, () => closeSeen.push(1))
    log.close()
    expect(closeSeen).toEqual([1])
    expect(closed).toBe(0)
  })

  it("a throwing watcher does not break writing", () => {
    const log = openLog()
    log.watch(() => {
      throw new Error("bad watcher")
    })
    log.append("stdout", "one")
    log.append("stdout", "two")
    expect(readRecords()).toHaveLength(2)
  })
})

describe("appendTerminalRecord", () => {
  it("adds one terminal record continuing the seq, and is idempotent", () => {
    const log = openLog()
    log.status({ event: "started", pid: 9 })
    log.append("stdout", "working")
    log.close()
    appendTerminalRecord(logs.logPath, { event: "crashed", message: "supervisor restarted" })
    appendTerminalRecord(logs.logPath, { event: "crashed", message: "supervisor restarted" })
    const records = readRecords()
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2])
    expect(records[2]).toMatchObject({ kind: "status", data: { event: "crashed", message: "supervisor restarted" } })
  })

  it("creates a missing log holding just the terminal record", () => {
    appendTerminalRecord(logs.logPath, { event: "cancelled", by: "supervisor restarted" })
    expect(readRecords()).toMatchObject([{ seq: 0, kind: "status", data: { event: "cancelled" } }])
  })

  it("cuts a torn last line off before the terminal record (reconcile after a crash mid-write)", () => {
    const log = openLog()
    log.append("stdout", "working")
    log.close()
    appendFileSync(logs.logPath, '{"seq')
    appendTerminalRecord(logs.logPath, { event: "crashed", message: "supervisor restarted" })
    expect(readRecords().map((r) => [r.seq, r.kind])).toEqual([[0, "stdout"], [1, "status"]])
  })

  it("leaves a log that already ends in a terminal record alone", () => {
    const log = openLog()
    log.status({ event: "finished", exit_code: 0 })
    log.close()
    const before = readFileSync(logs.logPath, "utf8")
    appendTerminalRecord(logs.logPath, { event: "crashed", message: "supervisor restarted" })
    expect(readFileSync(logs.logPath, "utf8")).toBe(before)
  })
})
