import { describe, expect, it } from "vitest"
import {
  endFromTerminalEvent,
  type PgidProbe,
  planReconcile,
  type ReconcilableJob,
  summarizeReconcile
} from "../../src/domain/reconcile"

const FP = "boot-1:12345"
const row = (over: Partial<ReconcilableJob>): ReconcilableJob => ({
  invocation_id: "0123456789abcdef",
  name: "build",
  status: "running",
  pgid: 4242,
  proc_start: FP,
  ...over
})
const probes = (entries: Array<[number, PgidProbe]>): ReadonlyMap<number, PgidProbe> => new Map(entries)

describe("planReconcile: one row", () => {
  it.each<[string, Partial<ReconcilableJob>, Array<[number, PgidProbe]>, { kill: { pgid: number } | null; newStatus: string }]>([
    ["running, group alive, fingerprint matches: killed", {}, [[4242, { pgidAlive: true, currentFingerprint: FP }]], { kill: { pgid: 4242 }, newStatus: "crashed" }],
    ["cancelling, group alive, fingerprint matches: killed", { status: "cancelling" }, [[4242, { pgidAlive: true, currentFingerprint: FP }]], { kill: { pgid: 4242 }, newStatus: "crashed" }],
    ["pid reused by another process (start time differs): not killed", {}, [[4242, { pgidAlive: true, currentFingerprint: "boot-1:99999" }]], { kill: null, newStatus: "crashed" }],
    ["same start time after a reboot (boot id differs): not killed", {}, [[4242, { pgidAlive: true, currentFingerprint: "boot-2:12345" }]], { kill: null, newStatus: "crashed" }],
    ["group alive but its leader gone (no current fingerprint): not killed", {}, [[4242, { pgidAlive: true, currentFingerprint: undefined }]], { kill: null, newStatus: "crashed" }],
    ["dead group: not killed", {}, [[4242, { pgidAlive: false, currentFingerprint: undefined }]], { kill: null, newStatus: "crashed" }],
    ["dead group even if the fingerprint still reads the same: not killed", {}, [[4242, { pgidAlive: false, currentFingerprint: FP }]], { kill: null, newStatus: "crashed" }],
    ["no probe for the pgid counts as dead", {}, [], { kill: null, newStatus: "crashed" }],
    ["no recorded fingerprint: never killed", { proc_start: null }, [[4242, { pgidAlive: true, currentFingerprint: FP }]], { kill: null, newStatus: "crashed" }],
    ["no recorded pgid: never killed", { pgid: null }, [], { kill: null, newStatus: "crashed" }],
    ["pgid 0 (our own group) is never signalled", { pgid: 0 }, [[0, { pgidAlive: true, currentFingerprint: FP }]], { kill: null, newStatus: "crashed" }],
    ["pgid 1 (init) is never signalled", { pgid: 1 }, [[1, { pgidAlive: true, currentFingerprint: FP }]], { kill: null, newStatus: "crashed" }],
    ["queued: cancelled and never killed, even with a live matching group", { status: "queued" }, [[4242, { pgidAlive: true, currentFingerprint: FP }]], { kill: null, newStatus: "cancelled" }]
  ])("%s", (_label, over, probeEntries, expected) => {
    const [decision] = planReconcile([row(over)], probes(probeEntries))
    expect({ kill: decision.kill, newStatus: decision.newStatus }).toEqual(expected)
  })

  it("a queued row is cancelled with reason and terminal record 'supervisor restarted'", () => {
    expect(planReconcile([row({ status: "queued", pgid: null, proc_start: null })], probes([]))).toEqual([
      {
        invocation_id: "0123456789abcdef",
        name: "build",
        kill: null,
        newStatus: "cancelled",
        reason: "supervisor restarted",
        terminalEvent: { event: "cancelled", by: "supervisor restarted" }
      }
    ])
  })

  const failedAttempt = (over: Partial<{ status: "failed" | "timed_out"; exit_code: number | null; signal: string | null; error: string | null }>) => ({
    status: "failed" as const,
    exit_code: 1,
    signal: null,
    error: null,
    ...over
  })
  it.each([
    [
      "exit 1, waiting for attempt 2 of 3",
      { attempt: 2, max_attempts: 3, attempts: [failedAttempt({})] },
      { newStatus: "failed", ended: { exit_code: 1, signal: null }, terminalEvent: { event: "finished", exit_code: 1 } },
      "attempt 2 of 3 never ran: supervisor restarted during the backoff"
    ],
    [
      "killed by a signal, waiting for attempt 3 of 5",
      { attempt: 3, max_attempts: 5, attempts: [failedAttempt({}), failedAttempt({ exit_code: null, signal: "SIGKILL" })] },
      { newStatus: "failed", ended: { exit_code: null, signal: "SIGKILL" }, terminalEvent: { event: "signaled", signal: "SIGKILL" } },
      "attempt 3 of 5 never ran: supervisor restarted during the backoff"
    ],
    [
      "timed out, waiting for attempt 2 of 2",
      { attempt: 2, max_attempts: 2, attempts: [failedAttempt({ status: "timed_out", exit_code: null, error: "timed out after 100 ms" })] },
      {
        newStatus: "timed_out",
        ended: { exit_code: null, signal: null },
        terminalEvent: { event: "crashed", message: "attempt 2 of 2 never ran: supervisor restarted during the backoff" }
      },
      "timed out after 100 ms; attempt 2 of 2 never ran: supervisor restarted during the backoff"
    ]
  ])("a row waiting to be retried (%s) ends as its last attempt did, never killed", (_, over, expected, reason) => {
    const [decision] = planReconcile([row({ status: "queued", pgid: 4242, retry_at: 1_700_000_000_000, ...over })], probes([[4242, { pgidAlive: true, currentFingerprint: FP }]]))
    expect(decision).toMatchObject({ kill: null, reason, ...expected })
  })

  it("a queued row with earlier attempts but no retry_at (its next attempt was starting) is cancelled as any queued row", () => {
    const [decision] = planReconcile([row({ status: "queued", retry_at: null, attempt: 2, max_attempts: 3, attempts: [failedAttempt({})] })], probes([]))
    expect(decision).toMatchObject({ newStatus: "cancelled", reason: "supervisor restarted" })
  })

  it("a crashed row's terminal record carries the reason as its message", () => {
    const [killed] = planReconcile([row({})], probes([[4242, { pgidAlive: true, currentFingerprint: FP }]]))
    expect(killed.terminalEvent).toEqual({ event: "crashed", message: killed.reason })
    expect(killed.reason).toMatch(/supervisor restarted/)
    const [reused] = planReconcile([row({})], probes([[4242, { pgidAlive: true, currentFingerprint: "other" }]]))
    expect(reused.reason).toMatch(/another process/)
  })
})

describe("planReconcile: a snapshot", () => {
  const jobs: ReconcilableJob[] = [
    row({ name: "orphan", pgid: 100 }),
    row({ name: "reused", pgid: 200 }),
    row({ name: "gone", pgid: 300 }),
    row({ name: "waiting", status: "queued", pgid: null, proc_start: null }),
    row({ name: "done", status: "completed", pgid: 400 })
  ]
  const seen = probes([
    [100, { pgidAlive: true, currentFingerprint: FP }],
    [200, { pgidAlive: true, currentFingerprint: "boot-1:1" }],
    [300, { pgidAlive: false, currentFingerprint: undefined }],
    [400, { pgidAlive: true, currentFingerprint: FP }]
  ])

  it("decides for every active row, in input order, and ignores terminal rows", () => {
    expect(planReconcile(jobs, seen).map((d) => [d.name, d.newStatus, d.kill?.pgid ?? null])).toEqual([
      ["orphan", "crashed", 100],
      ["reused", "crashed", null],
      ["gone", "crashed", null],
      ["waiting", "cancelled", null]
    ])
  })

  it("summarizes crashed, cancelled and killed counts", () => {
    expect(summarizeReconcile(planReconcile(jobs, seen))).toEqual({ crashed: 3, cancelled: 1, killed: 1 })
  })

  it("summarizes nothing as zeros", () => {
    expect(summarizeReconcile([])).toEqual({ crashed: 0, cancelled: 0, killed: 0 })
  })
})

describe("endFromTerminalEvent: a job whose log ended but whose row was never written", () => {
  it.each<[string, Parameters<typeof endFromTerminalEvent>[0], ReturnType<typeof endFromTerminalEvent>]>([
    ["finished 0 is completed", { event: "finished", exit_code: 0 }, { status: "completed", exit_code: 0 }],
    ["finished 3 is failed", { event: "finished", exit_code: 3 }, { status: "failed", exit_code: 3 }],
    ["signaled is failed with the signal", { event: "signaled", signal: "SIGSEGV" }, { status: "failed", signal: "SIGSEGV" }],
    ["timed out", { event: "timed_out", after_ms: 500 }, { status: "timed_out", error: "timed out after 500 ms" }],
    ["cancelled, by whom", { event: "cancelled", by: "user" }, { status: "cancelled", error: "cancelled by user" }],
    ["skipped, why", { event: "skipped", reason: "dependency a failed" }, { status: "skipped", skip_reason: "dependency a failed" }],
    ["crashed (a failed log write) is failed with the message", { event: "crashed", message: "log write failed: no space left on device" }, { status: "failed", error: "log write failed: no space left on device" }],
    ["started does not end a job", { event: "started", pid: 1 }, undefined],
    ["truncated does not end a job", { event: "truncated", at_bytes: 10 }, undefined]
  ])("%s", (_label, event, expected) => {
    expect(endFromTerminalEvent(event)).toEqual(expected)
  })
})
