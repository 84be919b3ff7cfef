import { Cause, Effect, Logger } from "effect"
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { humanLine, logError, logInfo, logWarn, makeLogWriter, makeSupervisorLogger, ROTATE_AT_BYTES } from "../../src/logging/event-log"

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const logFile = () => {
  dir = mkdtempSync(join(tmpdir(), "hookd-log-"))
  return join(dir, "state", "hookd.log")
}

const records = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l))

const withLogger = (path: string) => Logger.replace(Logger.defaultLogger, makeSupervisorLogger(makeLogWriter(path, "none")))

describe("supervisor log", () => {
  it("writes {ts, level, event, pid, ...fields} for logInfo/logWarn/logError, creating the state dir", () => {
    const path = logFile()
    Effect.runSync(
      Effect.all([
        logInfo("started", { version: "1.2.3", repos: 2 }),
        logWarn("stale_lock_removed", { path: "/x.lock" }),
        logError("sweep_failed", { stale: [{ job: "a" }] })
      ]).pipe(Effect.provide(withLogger(path)))
    )
    const [info, warn, error] = records(path)
    expect(info).toEqual({ ts: expect.any(Number), level: "info", event: "started", pid: process.pid, version: "1.2.3", repos: 2 })
    expect(warn).toMatchObject({ level: "warn", event: "stale_lock_removed", path: "/x.lock" })
    expect(error).toMatchObject({ level: "error", event: "sweep_failed", stale: [{ job: "a" }] })
  })

  it("a plain Effect.logError with a cause is a line too: the message is the event, the cause pretty-printed", () => {
    const path = logFile()
    Effect.runSync(Effect.logError("socket server", Cause.die(new Error("boom"))).pipe(Effect.provide(withLogger(path))))
    const [record] = records(path)
    expect(record).toMatchObject({ level: "error", event: "socket server" })
    expect(record.cause).toContain("boom")
  })

  it("logs written in a finalizer of an interrupted fiber still reach the file", () => {
    const path = logFile()
    Effect.runSync(
      Effect.interrupt.pipe(
        Effect.ensuring(logInfo("stopped")),
        Effect.exit,
        Effect.provide(withLogger(path))
      )
    )
    expect(records(path).map((r) => r.event)).toEqual(["stopped"])
  })

  it("rotates at 10 MB: hookd.log → .1 → .2 → .3, the oldest dropped", () => {
    const path = logFile()
    const writer = makeLogWriter(path, "none")
    const big = "x".repeat(ROTATE_AT_BYTES)
    for (let i = 1; i <= 5; i++) writer("info", `big${i}`, { big })
    writer("info", "after", {})
    expect(readdirSync(join(dir!, "state")).sort()).toEqual(["hookd.log", "hookd.log.1", "hookd.log.2", "hookd.log.3"])
    expect(records(path).map((r) => r.event)).toEqual(["after"])
    expect(records(`${path}.1`).map((r) => r.event)).toEqual(["big5"])
    expect(records(`${path}.3`).map((r) => r.event)).toEqual(["big3"])
  })

  it("a log that cannot be written never throws (the supervisor keeps running)", () => {
    dir = mkdtempSync(join(tmpdir(), "hookd-log-"))
    writeFileSync(join(dir, "file-not-dir"), "")
    const writer = makeLogWriter(join(dir, "file-not-dir", "hookd.log"), "none")
    expect(() => writer("info", "x", {})).not.toThrow()
  })
})

describe("supervisor log fields", () => {
  it("keep the order they were written in, after any annotations of the scope", () => {
    const path = logFile()
    Effect.runSync(
      logInfo("started", { version: "1", state_dir: "/s", socket: "/k", repos: 0 }).pipe(
        Effect.annotateLogs({ repo_id: "r1" }),
        Effect.provide(withLogger(path))
      )
    )
    expect(Object.keys(records(path)[0])).toEqual(["ts", "level", "event", "pid", "repo_id", "version", "state_dir", "socket", "repos"])
  })
})

describe("the terminal form", () => {
  it("is time, level, event and key=value pairs; values with spaces or quotes and objects are JSON", () => {
    const ts = new Date(2026, 0, 2, 3, 4, 5).getTime()
    expect(humanLine(ts, "warn", "repo_open_failed", { repo_id: "ab12", error: "not a \"db\"", n: 3, list: ["a"] })).toBe(
      '03:04:05 warn  repo_open_failed repo_id=ab12 error="not a \\"db\\"" n=3 list=["a"]\n'
    )
  })
})
