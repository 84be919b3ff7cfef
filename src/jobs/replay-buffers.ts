// The read buffers of a replay from the log file (issue 14 item 5). A replayed output record keeps
// its JSON as a view on the buffer it was read into, and writes it straight into the reader's frame
// (encoded-record.ts): no string, no copy per record. The buffers are a ring of four, so a buffer is
// read into again only four reads later — by then its records have gone to the socket (a stream
// pulls its next batch once the last one is written; a merge of streams holds at most one more);
// any record of it that has not been sent by then (a collected replay, a reader that stopped)
// first gets a copy of its bytes, so a record's bytes are never overwritten under it.
import { OWN_JSON_MIN_BYTES, recordWithJson } from "../protocol/encoded-record"
import { parseRecordLine } from "./log-records"
import type { LogRecord } from "../protocol/types"

const SLOTS = 4

interface Held {
  bytes: Buffer | undefined
}

interface Slot {
  buffer: Buffer
  held: Array<Held>
}

export class ReplayBuffers {
  private readonly slots: Array<Slot> = []
  private current = -1

  constructor(private readonly size: number) {}

  /**
   * The next buffer to read into, of at least `minSize` bytes, with `carry` (the start of a line
   * cut by the previous read, a view on another buffer of the ring) copied to its start.
   */
  next(carry: Buffer, minSize: number): Buffer {
    this.current = (this.current + 1) % SLOTS
    let slot = this.slots[this.current]
    if (slot === undefined) {
      slot = { buffer: Buffer.allocUnsafe(Math.max(this.size, minSize)), held: [] }
      this.slots[this.current] = slot
    }
    for (const held of slot.held) if (held.bytes !== undefined) held.bytes = Buffer.from(held.bytes)
    slot.held = []
    if (slot.buffer.length < minSize) slot.buffer = Buffer.allocUnsafe(minSize)
    carry.copy(slot.buffer, 0)
    return slot.buffer
  }

  /**
   * A stdout/stderr record whose JSON is `json`, a view on the buffer `next` returned last; a short
   * one is parsed (cheaper than a record that writes its JSON).
   */
  record(seq: number, ts: number, kind: "stdout" | "stderr", json: Buffer): LogRecord | undefined {
    if (json.length < OWN_JSON_MIN_BYTES) return parseRecordLine(json.toString("utf8"))
    const held: Held = { bytes: json }
    this.slots[this.current]!.held.push(held)
    return recordWithJson(seq, ts, kind, () => (JSON.parse(bytesOf(held).toString("utf8")) as { data: string }).data, {
      size: json.length,
      writeInto: (target, at) => {
        bytesOf(held).copy(target, at)
        held.bytes = undefined // sent: its buffer may be read into again
      }
    })
  }
}

const bytesOf = (held: Held): Buffer => {
  if (held.bytes === undefined) throw new Error("a replayed log record was read after it was sent")
  return held.bytes
}
