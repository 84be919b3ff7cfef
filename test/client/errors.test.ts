// Server errors → exit codes and messages (never a stack trace); job addresses.
import { describe, expect, it } from "vitest"
import { parseJobRef } from "../../src/client/address"
import { ServerError, describeServerError, exitCodeForServerError } from "../../src/client/errors"

describe("exit codes for server errors", () => {
  it.each([
    ["JOB_NOT_FOUND", 4],
    ["NO_MATCH", 4],
    ["REPO_NOT_FOUND", 4],
    ["AMBIGUOUS", 4],
    ["CONFIG_INVALID", 1],
    ["KILL_FAILED", 1],
    ["REPO_UNAVAILABLE", 1],
    ["INTERNAL", 1],
    ["BAD_REQUEST", 1],
    ["BUSY", 3]
  ])("%s → %i", (code, exit) => {
    expect(exitCodeForServerError(code)).toBe(exit)
    expect(new ServerError(code, "m", undefined).exitCode).toBe(exit)
  })
})

describe("describeServerError", () => {
  it("REPO_NOT_FOUND says how to name a repository", () => {
    expect(describeServerError("REPO_NOT_FOUND", "not a git repository: /home/u", undefined)).toBe(
      "not a git repository: /home/u\nRun hookctl inside a git repository, or pass --repo PATH (ls --all-repos lists every repository)."
    )
  })
  it("prints CONFIG_INVALID as file:line: path: message", () => {
    expect(
      describeServerError("CONFIG_INVALID", "bad config", {
        file: "/r/hookd.yml",
        line: 7,
        path: "hooks.pre-commit.jobs.0.run",
        message: "is missing"
      })
    ).toBe("/r/hookd.yml:7: hooks.pre-commit.jobs.0.run: is missing")
  })
  it("prints every problem of a list, and falls back to the message", () => {
    expect(
      describeServerError("CONFIG_INVALID", "2 problems", {
        problems: [
          { file: "hookd.yml", line: 3, path: ["hooks", "x"], message: "unknown hook" },
          { file: "hookd.yml", message: "cycle: a → b → a" }
        ]
      })
    ).toBe("hookd.yml:3: hooks.x: unknown hook\nhookd.yml: cycle: a → b → a")
    expect(describeServerError("CONFIG_INVALID", "cannot parse", undefined)).toBe("invalid configuration: cannot parse")
  })
  it("lists AMBIGUOUS candidates", () => {
    expect(
      describeServerError("AMBIGUOUS", "prefix abcd matches 2 invocations", {
        candidates: ["abcd1111aaaa0000", { invocation_id: "abcd2222bbbb0000", name: "build" }]
      })
    ).toBe("prefix abcd matches 2 invocations\ncandidates:\n  abcd1111aaaa0000\n  abcd2222bbbb0000:build")
  })
  it("passes other messages through", () => {
    expect(describeServerError("JOB_NOT_FOUND", "no job named x", { any: 1 })).toBe("no job named x")
  })
})

describe("parseJobRef", () => {
  it("a bare name is the newest run of that job", () => {
    expect(parseJobRef("build", "/r")).toEqual({ ok: true, address: { repo_root: "/r", name: "build" } })
  })
  it("prefix:name pins the invocation (prefix lower-cased)", () => {
    expect(parseJobRef("ABCD12:web.build_1", "/r")).toEqual({
      ok: true,
      address: { repo_root: "/r", invocation_prefix: "abcd12", name: "web.build_1" }
    })
  })
  it.each(["", "abc:build", "xyz1:build", "0123456789abcdef0:build", "abcd:", "-x", "a b", "abcd:x:y"])(
    "rejects %j",
    (text) => {
      expect(parseJobRef(text, "/r").ok).toBe(false)
    }
  )
})
