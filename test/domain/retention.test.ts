import { describe, expect, it } from "vitest"
import type { JobStatus } from "../../src/domain/status"
import {
  type InvocationSummary,
  planRetention,
  type RetentionInput,
  type RetentionInvocation,
  type RetentionJob,
  type RetentionPolicy,
  summarizeInvocation,
  summarizeRetention
} from "../../src/domain/retention"

const HOUR = 3600
const DAY = 24 * HOUR
const NOW = 1_700_000_000_000
const ago = (secs: number): number => NOW - secs * 1000

/** A terminal job that finished `finishedAgo` seconds before NOW. */
const done = (finishedAgo: number | null, over: Partial<RetentionJob> = {}): RetentionJob => ({
  status: "completed",
  finished_at: finishedAgo === null ? null : ago(finishedAgo),
  retention_secs: null,
  log_bytes: 100,
  ...over
})
/** The decision reads per-invocation aggregates; these tables describe the jobs they aggregate. */
const inv = (id: string, worktree: string, createdAgo: number, jobs: RetentionJob[]): InvocationSummary =>
  summarizeInvocation({ invocation_id: id, worktree, created_at: ago(createdAgo), jobs } satisfies RetentionInvocation)
/** One terminal job finished right after the invocation was created. */
const simple = (id: string, worktree: string, createdAgo: number, over: Partial<RetentionJob> = {}) =>
  inv(id, worktree, createdAgo, [done(createdAgo, over)])

const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
  retention_secs: DAY,
  keep_last: 0,
  max_total_bytes: null,
  ...over
})
const plan = (input: Omit<RetentionInput, "now">) =>
  planRetention({ now: NOW, ...input }).map((d) => [d.invocation_id, d.reason])

describe("planRetention: expiry by time", () => {
  it.each<[string, InvocationSummary[], Array<[string, string]>]>([
    ["past the policy retention: expired", [simple("a", "w", 2 * DAY)], [["a", "expired"]]],
    ["exactly at the retention: expired", [simple("a", "w", DAY)], [["a", "expired"]]],
    ["one second short of the retention: kept", [simple("a", "w", DAY - 1)], []],
    ["measured from the job's finish, not the invocation's creation", [inv("a", "w", 3 * DAY, [done(DAY - 1)])], []],
    ["a job without a finish time is measured from the invocation's creation", [inv("a", "w", 2 * DAY, [done(null)])], [["a", "expired"]]],
    ["an invocation without jobs expires from its creation", [inv("a", "w", 2 * DAY, []), inv("b", "w", HOUR, [])], [["a", "expired"]]],
    ["every job must be past its retention", [inv("a", "w", 3 * DAY, [done(2 * DAY), done(HOUR)])], []]
  ])("%s", (_label, invocations, expected) => {
    expect(plan({ policy: policy(), invocations })).toEqual(expected)
  })
})

describe("planRetention: per-job retention override", () => {
  it.each<[string, InvocationSummary[], Array<[string, string]>]>([
    ["a shorter per-job retention expires sooner", [simple("a", "w", 2 * HOUR, { retention_secs: HOUR })], [["a", "expired"]]],
    ["a longer per-job retention keeps it past the policy", [simple("a", "w", 2 * DAY, { retention_secs: 30 * DAY })], []],
    [
      "the longest-lived job holds the whole invocation",
      [inv("a", "w", 2 * DAY, [done(2 * DAY, { retention_secs: HOUR }), done(2 * DAY, { retention_secs: 3 * DAY })])],
      []
    ],
    [
      "every job past its own retention: expired",
      [inv("a", "w", 4 * DAY, [done(4 * DAY, { retention_secs: HOUR }), done(4 * DAY, { retention_secs: 3 * DAY })])],
      [["a", "expired"]]
    ],
    ["a per-job retention of 0 expires at once", [simple("a", "w", 0, { retention_secs: 0 })], [["a", "expired"]]]
  ])("%s", (_label, invocations, expected) => {
    expect(plan({ policy: policy({ retention_secs: DAY }), invocations })).toEqual(expected)
  })
})

describe("planRetention: keep_last per worktree", () => {
  const old = [
    simple("w1-1", "/w1", 10 * DAY),
    simple("w1-2", "/w1", 9 * DAY),
    simple("w1-3", "/w1", 8 * DAY),
    simple("w1-4", "/w1", 7 * DAY),
    simple("w2-1", "/w2", 6 * DAY),
    simple("w2-2", "/w2", 5 * DAY),
    simple("w3-1", "/w3", 20 * DAY)
  ]
  it.each<[string, number, Array<[string, string]>]>([
    [
      "keep_last 0 protects nothing",
      0,
      [["w3-1", "expired"], ["w1-1", "expired"], ["w1-2", "expired"], ["w1-3", "expired"], ["w1-4", "expired"], ["w2-1", "expired"], ["w2-2", "expired"]]
    ],
    ["keep_last 1 keeps the newest of each worktree", 1, [["w1-1", "expired"], ["w1-2", "expired"], ["w1-3", "expired"], ["w2-1", "expired"]]],
    ["keep_last 2 keeps the two newest of each worktree", 2, [["w1-1", "expired"], ["w1-2", "expired"]]],
    ["keep_last above every worktree's count keeps all", 5, []]
  ])("%s", (_label, keepLast, expected) => {
    expect(plan({ policy: policy({ keep_last: keepLast }), invocations: old })).toEqual(expected)
  })

  it("breaks a created_at tie by id: the larger id counts as newer", () => {
    const same = [simple("bbbb", "/w", 3 * DAY), simple("aaaa", "/w", 3 * DAY), simple("cccc", "/w", 3 * DAY)]
    expect(plan({ policy: policy({ keep_last: 1 }), invocations: same })).toEqual([
      ["aaaa", "expired"],
      ["bbbb", "expired"]
    ])
  })

  it("protects kept invocations from the budget too", () => {
    const invocations = [simple("a", "/w1", 3 * HOUR), simple("b", "/w2", 2 * HOUR), simple("c", "/w1", HOUR)]
    expect(plan({ policy: policy({ keep_last: 1, max_total_bytes: 0 }), invocations })).toEqual([["a", "over_budget"]])
  })
})

describe("planRetention: active invocations are exempt", () => {
  // "unknown": a newer hookd's status, as the store reads it
  it.each<JobStatus>(["queued", "running", "cancelling", "unknown"])(
    "an old, over-budget invocation with a %s job is kept",
    (status) => {
      const invocations = [
        inv("active", "/w", 30 * DAY, [done(null, { status, log_bytes: 10_000 }), done(30 * DAY)]),
        simple("idle", "/w", 20 * DAY)
      ]
      expect(plan({ policy: policy({ max_total_bytes: 0 }), invocations, olderThanSecs: 0 })).toEqual([["idle", "expired"]])
    }
  )
})

describe("planRetention: budget", () => {
  // Five 100-byte invocations, none expired (retention 30d), all in one worktree.
  const five = ["a", "b", "c", "d", "e"].map((id, i) => simple(id, "/w", (5 - i) * HOUR))
  it.each<[string, number | null, Array<[string, string]>]>([
    ["no budget: nothing evicted", null, []],
    ["under budget: nothing evicted", 600, []],
    ["exactly at the budget: nothing evicted", 500, []],
    ["one byte over: the oldest goes", 499, [["a", "over_budget"]]],
    ["evicts oldest first until within budget", 250, [["a", "over_budget"], ["b", "over_budget"], ["c", "over_budget"]]],
    ["a zero budget evicts everything evictable", 0, five.map((i) => [i.invocation_id, "over_budget"] as [string, string])]
  ])("%s", (_label, maxBytes, expected) => {
    expect(plan({ policy: policy({ retention_secs: 30 * DAY, max_total_bytes: maxBytes }), invocations: five })).toEqual(expected)
  })

  it("counts expired bytes as already freed before evicting for the budget", () => {
    const invocations = [simple("new1", "/w", HOUR), simple("old", "/w", 2 * DAY, { log_bytes: 300 }), simple("new2", "/w", 2 * HOUR)]
    // 500 total, the expired 300 brings it to 200 ≤ 200: nothing else goes.
    expect(plan({ policy: policy({ max_total_bytes: 200 }), invocations })).toEqual([["old", "expired"]])
    // ≤ 150 needs one more: the oldest remaining (new2, created 2h ago).
    expect(plan({ policy: policy({ max_total_bytes: 150 }), invocations })).toEqual([
      ["old", "expired"],
      ["new2", "over_budget"]
    ])
  })

  it("counts active and protected bytes in the total, and stops when nothing evictable is left", () => {
    const invocations = [
      inv("busy", "/w", 10 * HOUR, [done(null, { status: "running", log_bytes: 1000 })]),
      simple("x", "/w", 3 * HOUR),
      simple("kept", "/w", HOUR)
    ]
    expect(plan({ policy: policy({ keep_last: 1, max_total_bytes: 500 }), invocations })).toEqual([["x", "over_budget"]])
  })

  it("picks the oldest across worktrees", () => {
    const invocations = [simple("w1-new", "/w1", HOUR), simple("w2-old", "/w2", 5 * HOUR), simple("w1-old", "/w1", 3 * HOUR)]
    expect(plan({ policy: policy({ max_total_bytes: 150 }), invocations })).toEqual([
      ["w2-old", "over_budget"],
      ["w1-old", "over_budget"]
    ])
  })
})

describe("planRetention: Prune older_than", () => {
  const invocations = [
    simple("expired", "/w", 10 * DAY),
    simple("old", "/w", 5 * HOUR),
    simple("young", "/w", HOUR),
    inv("running", "/w", 6 * HOUR, [done(null, { status: "running" })])
  ]
  it.each<[string, number | undefined, Array<[string, string]>]>([
    ["without older_than only expiry applies", undefined, [["expired", "expired"]]],
    ["marks finished-longer-ago invocations older_than; expired keeps its reason", 2 * HOUR, [["expired", "expired"], ["old", "older_than"]]],
    ["older_than 0 takes every terminal invocation", 0, [["expired", "expired"], ["old", "older_than"], ["young", "older_than"]]]
  ])("%s", (_label, olderThanSecs, expected) => {
    expect(plan({ policy: policy(), invocations, olderThanSecs })).toEqual(expected)
  })

  it("measures older_than from the last job's finish", () => {
    const invocations = [inv("a", "/w", 5 * HOUR, [done(5 * HOUR), done(HOUR)])]
    expect(plan({ policy: policy(), invocations, olderThanSecs: 2 * HOUR })).toEqual([])
    expect(plan({ policy: policy(), invocations, olderThanSecs: HOUR })).toEqual([["a", "older_than"]])
  })

  it("never takes the keep_last floor", () => {
    expect(plan({ policy: policy({ keep_last: 2 }), invocations, olderThanSecs: 0 })).toEqual([["expired", "expired"]])
  })
})

describe("planRetention: decisions and purity", () => {
  const input: RetentionInput = {
    now: NOW,
    policy: policy({ keep_last: 1, max_total_bytes: 250 }),
    olderThanSecs: 3 * HOUR,
    invocations: [
      inv("c", "/w2", 2 * HOUR, [done(2 * HOUR, { log_bytes: 40 }), done(2 * HOUR, { log_bytes: 60 })]),
      simple("a", "/w1", 3 * DAY, { log_bytes: 70 }),
      simple("z", "/w2", HOUR),
      simple("b", "/w1", 4 * HOUR),
      simple("d", "/w1", 30 * 60)
    ]
  }

  it("reports id, worktree, reason, job count and bytes, oldest first", () => {
    expect(planRetention(input)).toEqual([
      { invocation_id: "a", worktree: "/w1", reason: "expired", jobs: 1, bytes: 70 },
      { invocation_id: "b", worktree: "/w1", reason: "older_than", jobs: 1, bytes: 100 },
      { invocation_id: "c", worktree: "/w2", reason: "over_budget", jobs: 2, bytes: 100 }
    ])
  })

  it("summarizes invocations, jobs and bytes", () => {
    expect(summarizeRetention(planRetention(input))).toEqual({ invocations: 3, jobs: 4, bytes: 270 })
  })

  it("does not depend on input order", () => {
    const reversed = { ...input, invocations: [...input.invocations].reverse() }
    expect(planRetention(reversed)).toEqual(planRetention(input))
  })

  it("does not mutate its input, and the same input gives the same answer (dry run = real run)", () => {
    const before = structuredClone(input)
    const first = planRetention(input)
    expect(input).toEqual(before)
    expect(planRetention(input)).toEqual(first)
  })

  it("works on a deeply frozen input", () => {
    const freeze = <T>(v: T): T => {
      if (v !== null && typeof v === "object") {
        for (const x of Object.values(v)) freeze(x)
        Object.freeze(v)
      }
      return v
    }
    expect(planRetention(freeze(structuredClone(input)))).toEqual(planRetention(input))
  })
})
