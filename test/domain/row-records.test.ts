import { describe, expect, it } from "vitest"
import { recordsOfRow, terminalEventOfRow, type RowLogFacts } from "../../src/domain/row-records"
import type { StatusEvent } from "../../src/protocol/types"

const row = (fields: Partial<RowLogFacts>): RowLogFacts => ({
  status: "completed",
  pid: null,
  started_at: null,
  finished_at: null,
  exit_code: null,
  signal: null,
  error: null,
  skip_reason: null,
  ...fields
})

describe("terminalEventOfRow: the terminal record a final row stands for", () => {
  it.each<[string, Partial<RowLogFacts>, StatusEvent | undefined]>([
    ["completed", { status: "completed", exit_code: 0 }, { event: "finished", exit_code: 0 }],
    ["failed with a code", { status: "failed", exit_code: 3 }, { event: "finished", exit_code: 3 }],
    ["failed with a code and an OOM note", { status: "failed", exit_code: 137, error: "killed: out of memory" }, { event: "finished", exit_code: 137 }],
    ["not spawned (127)", { status: "failed", exit_code: 127, error: "spawn sh ENOENT" }, { event: "finished", exit_code: 127 }],
    ["signaled", { status: "failed", signal: "SIGKILL" }, { event: "signaled", signal: "SIGKILL" }],
    ["failed without code or signal", { status: "failed", error: "leader lost" }, { event: "crashed", message: "leader lost" }],
    ["failed with nothing to say", { status: "failed" }, undefined],
    ["crashed (reconcile)", { status: "crashed", error: "supervisor restarted while the job was running" }, { event: "crashed", message: "supervisor restarted while the job was running" }],
    ["timed out", { status: "timed_out", error: "timed out after 1500 ms" }, { event: "timed_out", after_ms: 1500 }],
    ["timed out, other words", { status: "timed_out", error: "timed out; attempt 2 of 2 never ran" }, undefined],
    ["cancelled by a user", { status: "cancelled", error: "cancelled by user" }, { event: "cancelled", by: "user" }],
    ["cancelled, kill failed", { status: "cancelled", error: "cancelled by shutdown; kill failed: EPERM" }, { event: "cancelled", by: "shutdown" }],
    ["superseded", { status: "cancelled", error: "superseded by 0123456789abcdef" }, { event: "cancelled", by: "superseded", superseded_by: "0123456789abcdef" }],
    ["cancelled by reconcile", { status: "cancelled", error: "supervisor restarted" }, { event: "cancelled", by: "supervisor restarted" }],
    ["cancelled, no error", { status: "cancelled" }, undefined],
    ["skipped", { status: "skipped", skip_reason: "no staged files" }, { event: "skipped", reason: "no staged files" }],
    ["skipped, no reason", { status: "skipped" }, undefined],
    ["running", { status: "running", exit_code: 0 }, undefined],
    ["queued", { status: "queued" }, undefined],
    ["unknown (a newer hookd's)", { status: "unknown", exit_code: 0 }, undefined]
  ])("%s", (_, fields, expected) => {
    expect(terminalEventOfRow(row(fields))).toEqual(expected)
  })
})

describe("recordsOfRow", () => {
  it("a finished job: started at started_at, the end at finished_at, seq 0 and 1", () => {
    expect(recordsOfRow(row({ status: "completed", exit_code: 0, pid: 42, started_at: 1000, finished_at: 1005 }))).toEqual([
      { seq: 0, ts: 1000, kind: "status", data: { event: "started", pid: 42 } },
      { seq: 1, ts: 1005, kind: "status", data: { event: "finished", exit_code: 0 } }
    ])
  })

  it("a running job: only started", () => {
    expect(recordsOfRow(row({ status: "running", pid: 42, started_at: 1000 }))).toEqual([
      { seq: 0, ts: 1000, kind: "status", data: { event: "started", pid: 42 } }
    ])
  })

  it("a job that never ran: only its end, seq 0", () => {
    expect(recordsOfRow(row({ status: "skipped", skip_reason: "dependency lint failed", finished_at: 7 }))).toEqual([
      { seq: 0, ts: 7, kind: "status", data: { event: "skipped", reason: "dependency lint failed" } }
    ])
  })

  it("a queued job: none", () => {
    expect(recordsOfRow(row({ status: "queued" }))).toEqual([])
  })
})
