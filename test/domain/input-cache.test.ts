import { describe, expect, it } from "vitest"
import {
  composeInputKey,
  decideInputCache,
  formatAge,
  isForced,
  isSatisfiedSkip,
  type CacheDecision,
  type CacheQuestion,
  type InputKeyParts,
  type PreviousRun
} from "../../src/domain/input-cache"

const parts: InputKeyParts = {
  command: "npm install",
  cwd: ".",
  env: [["NODE_VERSION", "20"]],
  files: [["package-lock.json", "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d"]]
}
const KEY = composeInputKey(parts)

describe("composeInputKey", () => {
  it("is a sha256 in hex, the same for the same parts", () => {
    expect(KEY).toMatch(/^[0-9a-f]{64}$/)
    expect(composeInputKey({ ...parts })).toBe(KEY)
  })

  it("does not depend on the order env names or files were listed or found in", () => {
    const a: InputKeyParts = { ...parts, env: [["A", "1"], ["B", null]], files: [["x", "1"], ["y", "2"]] }
    const b: InputKeyParts = { ...parts, env: [["B", null], ["A", "1"]], files: [["y", "2"], ["x", "1"]] }
    expect(composeInputKey(a)).toBe(composeInputKey(b))
  })

  it.each<[string, InputKeyParts]>([
    ["the command text", { ...parts, command: "npm ci" }],
    ["the cwd", { ...parts, cwd: "packages/web" }],
    ["a listed env value", { ...parts, env: [["NODE_VERSION", "22"]] }],
    ["a listed env variable becoming unset", { ...parts, env: [["NODE_VERSION", null]] }],
    ["an unset variable vs. an empty one", { ...parts, env: [["NODE_VERSION", ""]] }],
    ["a file's content identity", { ...parts, files: [["package-lock.json", "0000"]] }],
    ["a file's path", { ...parts, files: [["other/package-lock.json", "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d"]] }],
    ["one more matching file", { ...parts, files: [...parts.files, ["new.proto", "abcd"]] }],
    ["no matching file at all", { ...parts, files: [] }]
  ])("changes with %s", (_label, changed) => {
    expect(composeInputKey(changed)).not.toBe(KEY)
  })

  it("keeps parts apart: a command ending in a cwd-like word does not collide with another split", () => {
    const a = composeInputKey({ ...parts, command: "make a", cwd: "b" })
    const b = composeInputKey({ ...parts, command: "make", cwd: "a b" })
    expect(a).not.toBe(b)
  })
})

const NOW = 1_700_000_000_000
const completed = (extra: Partial<PreviousRun> = {}): PreviousRun => ({
  invocation_id: "8b31c0ffee000001",
  name: "install",
  status: "completed",
  input_key: KEY,
  finished_at: NOW - 3 * 60_000,
  ...extra
})
const ask = (extra: Partial<CacheQuestion> = {}): CacheQuestion => ({
  key: KEY,
  forced: false,
  missingOutputs: [],
  previous: completed(),
  now: NOW,
  ...extra
})

describe("decideInputCache", () => {
  it.each<[string, CacheQuestion, CacheDecision]>([
    [
      "the last run completed with the same key: skip, naming the run and its age",
      ask(),
      { run: false, reason: "inputs unchanged since 8b31c0ff:install (3m ago)", matched: "8b31c0ffee000001" }
    ],
    ["no earlier run: run", ask({ previous: undefined }), { run: true, why: "no earlier run in this worktree" }],
    ["the last run completed with another key: run", ask({ previous: completed({ input_key: "other" }) }), { run: true, why: "inputs changed" }],
    [
      "the last run completed before inputs were configured (no key): run",
      ask({ previous: completed({ input_key: null }) }),
      { run: true, why: "inputs changed" }
    ],
    ["the last run failed with the same key: run", ask({ previous: completed({ status: "failed" }) }), { run: true, why: "the last run failed" }],
    ["… timed out", ask({ previous: completed({ status: "timed_out" }) }), { run: true, why: "the last run timed_out" }],
    ["… was cancelled", ask({ previous: completed({ status: "cancelled" }) }), { run: true, why: "the last run cancelled" }],
    ["… crashed", ask({ previous: completed({ status: "crashed" }) }), { run: true, why: "the last run crashed" }],
    [
      "the last run is still running (a quick second checkout): run",
      ask({ previous: completed({ status: "running" }) }),
      { run: true, why: "the last run is still running" }
    ],
    ["… still queued", ask({ previous: completed({ status: "queued" }) }), { run: true, why: "the last run is still queued" }],
    [
      "an output is missing: run despite equal inputs",
      ask({ missingOutputs: ["node_modules"] }),
      { run: true, why: "output node_modules is missing" }
    ],
    ["HOOKD_FORCE: run despite equal inputs", ask({ forced: true }), { run: true, why: "forced (HOOKD_FORCE)" }],
    ["HOOKD_FORCE wins over everything", ask({ forced: true, previous: undefined }), { run: true, why: "forced (HOOKD_FORCE)" }],
    [
      "a run with no finish time still matches, without an age",
      ask({ previous: completed({ finished_at: null }) }),
      { run: false, reason: "inputs unchanged since 8b31c0ff:install", matched: "8b31c0ffee000001" }
    ]
  ])("%s", (_label, question, expected) => {
    expect(decideInputCache(question)).toEqual(expected)
  })
})

describe("formatAge", () => {
  it.each<[number, string]>([
    [0, "0s"],
    [-5_000, "0s"],
    [59_999, "59s"],
    [60_000, "1m"],
    [3 * 60_000 + 59_000, "3m"],
    [60 * 60_000, "1h"],
    [47 * 3_600_000, "47h"],
    [48 * 3_600_000, "2d"],
    [30 * 86_400_000, "30d"]
  ])("%d ms → %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text)
  })
})

describe("isForced", () => {
  it.each<[Record<string, string>, boolean]>([
    [{ HOOKD_FORCE: "1" }, true],
    [{ HOOKD_FORCE: "yes" }, true],
    [{ HOOKD_FORCE: "0" }, false],
    [{ HOOKD_FORCE: "false" }, false],
    [{ HOOKD_FORCE: "" }, false],
    [{}, false]
  ])("%j → %s", (env, forced) => {
    expect(isForced(env)).toBe(forced)
  })
})

describe("isSatisfiedSkip", () => {
  const spec = { name: "install", run: "npm install", background: true }
  it.each<[string, Parameters<typeof isSatisfiedSkip>[0], boolean]>([
    ["skipped as unchanged", { ...spec, skip_reason: "inputs unchanged since 8b31c0ff:install", input_match: "8b31c0ffee000001" }, true],
    ["skipped by a condition", { ...spec, skip_reason: "skip: env CI" }, false],
    ["running with a key", { ...spec, input_key: KEY }, false]
  ])("%s → %s", (_label, s, satisfied) => {
    expect(isSatisfiedSkip(s)).toBe(satisfied)
  })
})
