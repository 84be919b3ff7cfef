// What a line of output.jsonl is, and the pure decisions about which records get written (SPEC §5).
//
// Log format 2 (issue 13): an output record's `data` holds one or more lines of one stream joined by
// "\n" (format 1 had exactly one). Every format-1 record is a format-2 record, so old logs read as
// they are, and a reader that prints `data + "\n"` prints the same text from either.
import type { LogRecord } from "../protocol/types"

export { isTerminalEvent, isTerminalRecord } from "../protocol/types"

export const encodeRecord = (record: LogRecord): string => JSON.stringify(record) + "\n"

/** Parses one line of output.jsonl; undefined for a torn or foreign line (it is skipped, not fatal). */
export const parseRecordLine = (line: string): LogRecord | undefined => {
  if (line.length === 0) return undefined
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== "object" || value === null) return undefined
  const r = value as Record<string, unknown>
  if (typeof r.seq !== "number" || typeof r.ts !== "number") return undefined
  if ((r.kind === "stdout" || r.kind === "stderr") && typeof r.data === "string") return value as LogRecord
  if (r.kind === "status" && typeof r.data === "object" && r.data !== null && typeof (r.data as { event?: unknown }).event === "string") {
    return value as LogRecord
  }
  return undefined
}

/** The head every stdout/stderr line has (the writer's key order, format 1 and 2 alike). */
const OUTPUT_HEAD = /^\{"seq":(\d{1,15}),"ts":(\d{1,15}),"kind":"(stdout|stderr)","data":"/

export interface OutputHead {
  readonly seq: number
  readonly ts: number
  readonly kind: "stdout" | "stderr"
}

/**
 * seq, ts and kind of a stdout/stderr line of output.jsonl, read from its first bytes — a replay
 * passes the line on as it is (encoded-record.ts) and never decodes its data; undefined for any
 * other line (a status record, a foreign shape), which parseRecordLine reads.
 */
export const parseOutputHead = (line: Buffer): OutputHead | undefined => {
  if (line.length < 40 || line[line.length - 1] !== 0x7d || line[line.length - 2] !== 0x22) return undefined
  const head = OUTPUT_HEAD.exec(line.toString("latin1", 0, Math.min(line.length, 64)))
  if (head === null) return undefined
  return { seq: Number(head[1]), ts: Number(head[2]), kind: head[3] as "stdout" | "stderr" }
}

export interface OutputState {
  readonly nextSeq: number
  /** Bytes of output data written so far (UTF-8 of `data`, not of the JSON line). */
  readonly outputBytes: number
  readonly truncated: boolean
}

export interface OutputLimits {
  /** Keep only output records whose seq is a multiple of n; absent or ≤ 1 keeps all. */
  readonly samplingEveryNth?: number
  /** Output data budget in bytes; absent or 0 = unlimited. */
  readonly maxBytes?: number
}

/**
 * What to do with one output line:
 * - "drop": already truncated; nothing is produced, no seq is used.
 * - "sample-out": a seq is used but nothing is written.
 * - "truncate": the line would exceed the budget; a `truncated` status record takes its seq instead.
 * - "write": write it with the next seq.
 */
export type OutputDecision = "drop" | "sample-out" | "truncate" | "write"

export const decideOutput = (state: OutputState, limits: OutputLimits, dataBytes: number): OutputDecision => {
  if (state.truncated) return "drop"
  const n = limits.samplingEveryNth ?? 1
  if (n > 1 && state.nextSeq % n !== 0) return "sample-out"
  const max = limits.maxBytes ?? 0
  if (max > 0 && state.outputBytes + dataBytes > max) return "truncate"
  return "write"
}

/**
 * How much of a batch of lines (bytes joined by "\n") fits the output budget: its length when it
 * all fits, else the length of the longest prefix of whole lines that does, or -1 when not even
 * its first line does.
 */
export const fittingPrefix = (outputBytes: number, maxBytes: number, lines: Buffer): number => {
  if (maxBytes <= 0 || outputBytes + lines.length <= maxBytes) return lines.length
  const room = maxBytes - outputBytes
  // A "\n" at index p ≤ room ends the lines of bytes [0, p), p bytes in all.
  return room < 0 ? -1 : lines.lastIndexOf(0x0a, room)
}
