import { describe, expect, it } from "vitest"
import { planRetry, type RetryableJob, type RetryResult } from "../../src/domain/retry"
import type { JobStatus } from "../../src/domain/status"

const job = (name: string, status: JobStatus, needs: string[] = []): RetryableJob => ({ name, status, needs })

describe("planRetry: an invocation", () => {
  it.each<[string, RetryableJob[], RetryResult]>([
    [
      "A failed, B needs A, C completed alone: re-runs A and B, B still needs A",
      [job("A", "failed"), job("B", "skipped", ["A"]), job("C", "completed")],
      { names: ["A", "B"], needs: { A: [], B: ["A"] } }
    ],
    [
      "each retryable status is a root",
      [job("f", "failed"), job("c", "cancelled"), job("x", "crashed"), job("t", "timed_out"), job("ok", "completed"), job("s", "skipped")],
      { names: ["f", "c", "x", "t"], needs: { f: [], c: [], x: [], t: [] } }
    ],
    [
      "dependents are re-run transitively",
      [job("a", "failed"), job("b", "skipped", ["a"]), job("c", "skipped", ["b"])],
      { names: ["a", "b", "c"], needs: { a: [], b: ["a"], c: ["b"] } }
    ],
    [
      "an edge to a completed job is dropped, an edge to a re-run job kept",
      [job("install", "completed"), job("gen", "failed"), job("build", "skipped", ["install", "gen"])],
      { names: ["gen", "build"], needs: { gen: [], build: ["gen"] } }
    ],
    [
      "a failed job's own completed dependency is not re-run",
      [job("install", "completed"), job("test", "failed", ["install"])],
      { names: ["test"], needs: { test: [] } }
    ],
    [
      "a job skipped by its own condition, needing nothing that failed, is not re-run",
      [job("lint", "skipped"), job("test", "failed")],
      { names: ["test"], needs: { test: [] } }
    ],
    [
      "every job completed: nothing to retry",
      [job("a", "completed"), job("b", "skipped")],
      { error: "nothing to retry: no job failed, was cancelled, crashed or timed out" }
    ],
    ["no jobs: nothing to retry", [], { error: "nothing to retry: no job failed, was cancelled, crashed or timed out" }]
  ])("%s", (_label, jobs, expected) => {
    expect(planRetry(jobs, { kind: "invocation" })).toEqual(expected)
  })
})

describe("planRetry: one job", () => {
  const jobs = [job("A", "failed"), job("B", "completed", ["A"]), job("C", "running")]
  it.each<[string, string, RetryResult]>([
    ["a failed job runs alone", "A", { names: ["A"], needs: { A: [] } }],
    ["a completed job runs alone, its needs dropped", "B", { names: ["B"], needs: { B: [] } }],
    ["an unknown job is an error", "Z", { error: 'no job named "Z" in this invocation' }],
    ["a running job is an error", "C", { error: 'job "C" is still running; cancel it first' }]
  ])("%s", (_label, name, expected) => {
    expect(planRetry(jobs, { kind: "job", name })).toEqual(expected)
  })
})
