import { describe, expect, it } from "vitest"
import {
  hasAnyPredicate,
  isValidInvocationPrefix,
  type JobPredicates,
  matchesJob,
  type MatchableJob,
  resolveInvocationPrefix
} from "../../src/domain/matching"

const NOW = 1_700_000_000_000
const job: MatchableJob = {
  invocation_id: "0123456789abcdef",
  hook: "post-checkout",
  worktree: "/repo/wt-a",
  tags: ["deps", "slow"],
  status: "running",
  queued_at: NOW - 120_000,
  started_at: NOW - 60_000
}

describe("matchesJob", () => {
  it.each<[string, JobPredicates, boolean]>([
    ["no predicates match everything", {}, true],
    ["hook equal", { hook: "post-checkout" }, true],
    ["hook different", { hook: "pre-commit" }, false],
    ["worktree equal", { worktree: "/repo/wt-a" }, true],
    ["worktree different", { worktree: "/repo/wt-b" }, false],
    ["tag present", { tag: "slow" }, true],
    ["tag absent", { tag: "fast" }, false],
    ["invocation prefix matches", { invocation_prefix: "0123" }, true],
    ["full invocation id matches", { invocation_prefix: "0123456789abcdef" }, true],
    ["invocation prefix differs", { invocation_prefix: "0124" }, false],
    ["status in the list", { statuses: ["queued", "running"] }, true],
    ["status not in the list", { statuses: ["completed"] }, false],
    ["an empty status list means any status", { statuses: [] }, true],
    ["older than, exactly at the boundary (from started_at)", { older_than_secs: 60 }, true],
    ["not older than, one second short", { older_than_secs: 61 }, false],
    ["all predicates true together", { hook: "post-checkout", worktree: "/repo/wt-a", tag: "deps", invocation_prefix: "01234", older_than_secs: 30, statuses: ["running"] }, true],
    ["one false predicate fails the AND", { hook: "post-checkout", worktree: "/repo/wt-a", tag: "deps", invocation_prefix: "01234", older_than_secs: 30, statuses: ["queued"] }, false],
    ["hook true but worktree false", { hook: "post-checkout", worktree: "/repo/wt-b" }, false]
  ])("%s", (_label, predicates, expected) => {
    expect(matchesJob(job, predicates, NOW)).toBe(expected)
  })

  it.each<[string, Partial<MatchableJob>, number, boolean]>([
    ["a queued job is aged from queued_at", { status: "queued", started_at: null }, 120, true],
    ["a queued job younger than the limit", { status: "queued", started_at: null }, 121, false],
    ["a job with no times is never older", { started_at: null, queued_at: null }, 0, false]
  ])("%s", (_label, override, olderThan, expected) => {
    expect(matchesJob({ ...job, ...override }, { older_than_secs: olderThan }, NOW)).toBe(expected)
  })
})

describe("hasAnyPredicate", () => {
  it.each<[string, JobPredicates, boolean]>([
    ["nothing", {}, false],
    ["statuses alone are not a CancelMatching predicate", { statuses: ["running"] }, false],
    ["hook", { hook: "pre-commit" }, true],
    ["worktree", { worktree: "/w" }, true],
    ["tag", { tag: "t" }, true],
    ["invocation prefix", { invocation_prefix: "abcd" }, true],
    ["older than zero seconds still counts", { older_than_secs: 0 }, true]
  ])("%s", (_label, predicates, expected) => {
    expect(hasAnyPredicate(predicates)).toBe(expected)
  })
})

describe("isValidInvocationPrefix", () => {
  it.each<[string, boolean]>([
    ["abcd", true],
    ["0123456789abcdef", true],
    ["abc", false],
    ["0123456789abcdef0", false],
    ["ABCD", false],
    ["abcg", false],
    ["", false],
    ["ab cd", false]
  ])("%j → %s", (prefix, expected) => {
    expect(isValidInvocationPrefix(prefix)).toBe(expected)
  })
})

describe("resolveInvocationPrefix", () => {
  const ids = ["aaaa111122223333", "aaaa999988887777", "bbbb000011112222"]
  it.each<[string, string, ReturnType<typeof resolveInvocationPrefix>]>([
    ["no id starts with it", "cccc", { kind: "none" }],
    ["exactly one id starts with it", "bbbb", { kind: "one", id: "bbbb000011112222" }],
    ["a longer prefix disambiguates", "aaaa9", { kind: "one", id: "aaaa999988887777" }],
    ["several ids start with it, in input order", "aaaa", { kind: "ambiguous", candidates: ["aaaa111122223333", "aaaa999988887777"] }]
  ])("%s", (_label, prefix, expected) => {
    expect(resolveInvocationPrefix(prefix, ids)).toEqual(expected)
  })

  it("counts an id listed twice once", () => {
    expect(resolveInvocationPrefix("bbbb", [...ids, "bbbb000011112222"])).toEqual({ kind: "one", id: "bbbb000011112222" })
  })
})
