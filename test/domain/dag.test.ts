import { describe, expect, it } from "vitest"
import { dependentsClosure, findNeedsProblem, type NeedsNode } from "../../src/domain/dag"

describe("findNeedsProblem", () => {
  it.each<[string, NeedsNode[], ReturnType<typeof findNeedsProblem>]>([
    ["no jobs", [], undefined],
    ["a chain", [{ name: "a" }, { name: "b", needs: ["a"] }, { name: "c", needs: ["b", "a"] }], undefined],
    [
      "a duplicate name",
      [{ name: "a" }, { name: "b" }, { name: "a" }],
      { kind: "duplicate", job: "a", message: 'job "a" is defined twice' }
    ],
    [
      "an unknown need",
      [{ name: "a", needs: ["ghost"] }],
      { kind: "unknown", job: "a", need: "ghost", message: 'job "a" needs unknown job "ghost"' }
    ],
    [
      "a self-cycle",
      [{ name: "a", needs: ["a"] }],
      { kind: "cycle", job: "a", cycle: ["a", "a"], message: "jobs form a cycle: a -> a" }
    ],
    [
      "a three-job cycle",
      [{ name: "a", needs: ["c"] }, { name: "b", needs: ["a"] }, { name: "c", needs: ["b"] }],
      { kind: "cycle", job: "a", cycle: ["a", "c", "b", "a"], message: "jobs form a cycle: a -> c -> b -> a" }
    ],
    [
      "a cycle below an acyclic root",
      [{ name: "root", needs: ["x"] }, { name: "x", needs: ["y"] }, { name: "y", needs: ["x"] }],
      { kind: "cycle", job: "x", cycle: ["x", "y", "x"], message: "jobs form a cycle: x -> y -> x" }
    ]
  ])("%s", (_label, jobs, expected) => {
    expect(findNeedsProblem(jobs)).toEqual(expected)
  })

  it("reports a duplicate before an unknown need", () => {
    expect(findNeedsProblem([{ name: "a", needs: ["zz"] }, { name: "a" }])?.kind).toBe("duplicate")
  })
})

describe("dependentsClosure", () => {
  const jobs: NeedsNode[] = [
    { name: "install" },
    { name: "lint" },
    { name: "build", needs: ["install"] },
    { name: "test", needs: ["build"] },
    { name: "docs", needs: ["lint", "build"] }
  ]
  it.each<[string, string[], string[]]>([
    ["a leaf has only itself", ["test"], ["test"]],
    ["a root pulls in everything downstream, in declaration order", ["install"], ["install", "build", "test", "docs"]],
    ["a side root pulls in only its dependents", ["lint"], ["lint", "docs"]],
    ["several roots merge without duplicates", ["lint", "build"], ["lint", "build", "test", "docs"]],
    ["no roots selects nothing", [], []]
  ])("%s", (_label, roots, expected) => {
    expect(dependentsClosure(jobs, roots)).toEqual(expected)
  })

  it("finds dependents declared before their dependency", () => {
    expect(dependentsClosure([{ name: "late", needs: ["mid"] }, { name: "mid", needs: ["root"] }, { name: "root" }], ["root"])).toEqual(
      ["late", "mid", "root"]
    )
  })
})

describe("long chains of needs (issue 14 item 8)", () => {
  /** job0 needs job1 needs job2 …: declared dependents first, so a depth-first search goes n deep. */
  const backwardChain = (n: number): NeedsNode[] =>
    Array.from({ length: n }, (_, i) => (i + 1 < n ? { name: `job${i}`, needs: [`job${i + 1}`] } : { name: `job${i}` }))

  it("checks a 50,000-job chain without overflowing the stack", () => {
    expect(findNeedsProblem(backwardChain(50_000))).toBeUndefined()
  })

  it("finds the cycle that closes a 50,000-job chain", () => {
    const jobs = backwardChain(50_000)
    jobs[49_999] = { name: "job49999", needs: ["job49998"] }
    const problem = findNeedsProblem(jobs)
    expect(problem).toMatchObject({ kind: "cycle", job: "job49998", cycle: ["job49998", "job49999", "job49998"] })
  })

  it("collects every dependent of the chain's end", () => {
    expect(dependentsClosure(backwardChain(50_000), ["job49999"])).toHaveLength(50_000)
  })
})
