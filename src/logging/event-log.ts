// The supervisor log: one JSON line per lifecycle event, to <state>/hookd.log (rotated at 10 MB,
// 3 kept) and to stderr. Code logs with `logInfo/logWarn/logError(event, fields)` — plain
// `Effect.log*` calls, needing no service — and `SupervisorLoggerLive`, installed once in
// main, turns each into the file line and the stderr form: the JSON line; under systemd
// (JOURNAL_STREAM) the same without our own timestamp; in a terminal a human-readable line.
import { Cause, Effect, HashMap, Logger } from "effect"
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs"
import { dirname } from "node:path"

export const ROTATE_AT_BYTES = 10 * 1024 * 1024
export const ROTATIONS_KEPT = 3

type Fields = Record<string, unknown>

// The fields ride as the message's second part rather than as annotations: annotations are a
// HashMap and would lose the order the fields were written in. Annotations (Effect.annotateLogs
// around a scope) are still added to every line.
export const logInfo = (event: string, fields: Fields = {}): Effect.Effect<void> => Effect.logInfo(event, fields)
export const logWarn = (event: string, fields: Fields = {}): Effect.Effect<void> => Effect.logWarning(event, fields)
export const logError = (event: string, fields: Fields = {}): Effect.Effect<void> => Effect.logError(event, fields)

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

const humanValue = (value: unknown): string =>
  typeof value === "string" && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)

/** For a terminal: `23:02:34 info  started version=0.1.0 socket=/run/user/1000/hookd.sock`. */
export const humanLine = (ts: number, level: string, event: string, fields: Fields): string => {
  const time = new Date(ts).toTimeString().slice(0, 8)
  const pairs = Object.entries(fields).map(([key, value]) => ` ${key}=${humanValue(value)}`)
  return `${time} ${level.padEnd(5)} ${event}${pairs.join("")}\n`
}

export type StderrForm = "json" | "journal" | "human" | "none"

export type LogWriter = (level: string, event: string, fields: Fields) => void

export const makeLogWriter = (path: string, stderrForm: StderrForm): LogWriter => {
  // Writing the same line to the file and to a stderr that is the file would log it twice.
  if (stderrForm !== "none" && stderrIsFile(path)) stderrForm = "none"
  let fd: number | undefined
  let size = 0
  const ensureOpen = () => {
    if (fd !== undefined) return fd
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    fd = openSync(path, "a", 0o600)
    size = statSync(path).size
    return fd
  }
  return (level, event, fields) => {
    const ts = Date.now()
    const line = JSON.stringify({ ts, level, event, pid: process.pid, ...fields }) + "\n"
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
    if (stderrForm === "none") return
    const journalLine = () => JSON.stringify({ level, event, ...fields }) + "\n"
    process.stderr.write(stderrForm === "json" ? line : stderrForm === "journal" ? journalLine() : humanLine(ts, level, event, fields))
  }
}

/**
 * Every `Effect.log*` of the process goes here: the first message part is the event, then the
 * annotations and a fields object; other parts go under `message`, a cause (`Effect.logError(…,
 * cause)`) under `cause`, pretty-printed.
 */
export const makeSupervisorLogger = (writer: LogWriter): Logger.Logger<unknown, void> =>
  Logger.make(({ logLevel, message, annotations, cause }) => {
    const [event, ...rest] = Array.isArray(message) ? message : [message]
    const fields: Fields = Object.fromEntries(HashMap.toEntries(annotations))
    if (rest.length === 1 && typeof rest[0] === "object" && rest[0] !== null && !Array.isArray(rest[0])) Object.assign(fields, rest[0])
    else if (rest.length > 0) fields.message = rest.length === 1 ? rest[0] : rest
    if (!Cause.isEmpty(cause)) fields.cause = Cause.pretty(cause)
    writer(logLevel.label.toLowerCase(), String(event), fields)
  })

/** Replaces Effect's default console logger for the whole supervisor (provided outermost in main). */
export const SupervisorLoggerLive = (path: string, journal: boolean) =>
  Logger.replace(
    Logger.defaultLogger,
    makeSupervisorLogger(makeLogWriter(path, journal ? "journal" : process.stderr.isTTY ? "human" : "json"))
  )
