import { describe, expect, it } from "vitest"
import { decideConcurrency, defaultPolicy, type ConcurrencyPolicy, type EarlierRun } from "../../src/domain/concurrency"

const run = (invocationId: string, status: EarlierRun["status"] = "running"): EarlierRun => ({ invocationId, status })

describe("decideConcurrency", () => {
  it.each<[string, ConcurrencyPolicy, EarlierRun[], ReturnType<typeof decideConcurrency>]>([
    ["nothing live: replace starts", "replace", [], { kind: "start" }],
    ["nothing live: queue starts", "queue", [], { kind: "start" }],
    ["nothing live: skip starts", "skip", [], { kind: "start" }],
    ["parallel ignores live runs", "parallel", [run("a"), run("b", "queued")], { kind: "start" }],
    ["replace cancels every live run", "replace", [run("a"), run("b", "queued")], { kind: "replace", cancel: ["a", "b"] }],
    ["replace includes a run already cancelling (waits for it)", "replace", [run("a", "cancelling")], { kind: "replace", cancel: ["a"] }],
    ["queue waits for every live run", "queue", [run("a"), run("b", "queued")], { kind: "queue", after: ["a", "b"] }],
    ["skip names the running run", "skip", [run("a", "queued"), run("b")], { kind: "skip", reason: "already running in b" }],
    ["skip names the oldest when none runs yet", "skip", [run("a", "queued"), run("b", "queued")], { kind: "skip", reason: "already running in a" }]
  ])("%s", (_, policy, earlier, expected) => {
    expect(decideConcurrency(policy, earlier)).toEqual(expected)
  })

  it.each([
    [true, "replace"],
    [false, "parallel"]
  ])("the default for background=%s is %s", (background, policy) => {
    expect(defaultPolicy(background)).toBe(policy)
  })
})
