// The supervisor log: one JSON line per lifecycle event, to <state>/hookd.log (rotated at 10 MB,
// 3 kept) and to stderr. Under systemd (JOURNAL_STREAM) stderr lines carry no timestamp of our own.
import { Context, Effect, Layer } from "effect"
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import { supervisorLogPath } from "../protocol/paths"
import { Settings } from "../settings/settings"

export const ROTATE_AT_BYTES = 10 * 1024 * 1024
export const ROTATIONS_KEPT = 3

type Level = "info" | "warn" | "error"

export interface EventLog {
  readonly write: (level: Level, event: string, fields?: Record<string, unknown>) => void
}

export const EventLogTag = Context.GenericTag<EventLog>("hookd/EventLog")

export const logInfo = (event: string, fields?: Record<string, unknown>) =>
  Effect.flatMap(EventLogTag, (log) => Effect.sync(() => log.write("info", event, fields)))
export const logWarn = (event: string, fields?: Record<string, unknown>) =>
  Effect.flatMap(EventLogTag, (log) => Effect.sync(() => log.write("warn", event, fields)))
export const logError = (event: string, fields?: Record<string, unknown>) =>
  Effect.flatMap(EventLogTag, (log) => Effect.sync(() => log.write("error", event, fields)))

/** Shifts hookd.log → .1 → .2 → .3 (the oldest is overwritten). */
const rotate = (path: string): void => {
  for (let i = ROTATIONS_KEPT - 1; i >= 1; i--) {
    try {
      renameSync(`${path}.${i}`, `${path}.${i + 1}`)
    } catch {
      // a missing generation is fine
    }
  }
  renameSync(path, `${path}.1`)
}

/** True when stderr already is this log file (hookctl's autostart redirects it there). */
const stderrIsFile = (path: string): boolean => {
  try {
    const err = fstatSync(2)
    const file = statSync(path)
    return err.dev === file.dev && err.ino === file.ino
  } catch {
    return false
  }
}

export const makeFileEventLog = (path: string, journal: boolean, toStderr = true): EventLog => {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  // Writing the same line to the file and to a stderr that is the file would log it twice.
  if (toStderr && stderrIsFile(path)) toStderr = false
  let fd: number | undefined
  let size = 0
  const ensureOpen = () => {
    if (fd !== undefined) return fd
    fd = openSync(path, "a", 0o600)
    size = statSync(path).size
    return fd
  }
  return {
    write: (level, event, fields) => {
      const ts = Date.now()
      const record = { ts, level, event, pid: process.pid, ...fields }
      const line = JSON.stringify(record) + "\n"
      try {
        const out = ensureOpen()
        writeSync(out, line)
        size += Buffer.byteLength(line)
        if (size >= ROTATE_AT_BYTES) {
          closeSync(out)
          fd = undefined
          rotate(path)
        }
      } catch {
        // the log must never take the supervisor down; stderr still gets the line
      }
      if (toStderr) {
        process.stderr.write(journal ? JSON.stringify({ level, event, ...fields }) + "\n" : line)
      }
    }
  }
}

export const EventLogLive = Layer.effect(
  EventLogTag,
  Effect.map(Settings, (s) => makeFileEventLog(supervisorLogPath(s.stateDir), s.journal))
)
