// A log record that writes its own JSON (issue 14 item 5): the text of an output record is never
// decoded into a JavaScript string on its way to a reader's socket — a StreamFrame is built by
// writing the record's JSON straight into the frame (framing.ts), from the job's output bytes (a
// live record) or from the log file's bytes (a replayed one). A string per record and per reader
// is what made live readers cost the supervisor tens of MiB of garbage. Effect-free.
import type { LogRecord } from "./types"

export interface RecordJson {
  /** Bytes of the record's JSON (no newline). */
  readonly size: number
  /** Writes exactly `size` bytes at `at`; `target` has room. */
  writeInto(target: Buffer, at: number): void
}

/**
 * Records smaller than this are plain, decoded ones: a writer and a lazy `data` cost more than the
 * string of a short line. Above it a decoded record costs two strings of its size (the decode and the
 * frame's JSON.stringify) per reader — with a fast reader of a chatty job, whose records are a few KiB
 * each, that was most of the supervisor's garbage (issue 14 item 5).
 */
export const OWN_JSON_MIN_BYTES = 512

/** Kept beside the record, not on it: the record stays a plain object to JSON.stringify and to equality. */
const jsonOf = new WeakMap<object, RecordJson>()

/**
 * A stdout/stderr record that can write its JSON; `data` is decoded (by `decode`) only if someone
 * reads it, e.g. a JSON.stringify outside framing.ts.
 */
export const recordWithJson = (
  seq: number,
  ts: number,
  kind: "stdout" | "stderr",
  decode: () => string,
  json: RecordJson
): LogRecord => {
  let data: string | undefined
  const record = {
    seq,
    ts,
    kind,
    get data(): string {
      return (data ??= decode())
    }
  }
  jsonOf.set(record, json)
  return record
}

/** A record's own JSON writer, if it has one. */
export const recordJsonOf = (record: unknown): RecordJson | undefined =>
  typeof record === "object" && record !== null ? jsonOf.get(record) : undefined

/** Bytes of the record's JSON: exact for a record with its own JSON, an estimate otherwise. */
export const recordSizeOf = (record: LogRecord): number =>
  recordJsonOf(record)?.size ?? 96 + (typeof record.data === "string" ? record.data.length : 128)
