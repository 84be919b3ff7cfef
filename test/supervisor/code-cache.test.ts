// The code cache's file names: one per build and node, and which files are an older build's.
import { describe, expect, it } from "vitest"
import { codeCacheName, isStaleCacheName } from "../../src/supervisor/code-cache"

describe("codeCacheName", () => {
  it("names the bundle, its hash, node's version and the architecture", () => {
    expect(codeCacheName("hookd.cjs", "0123456789abcdef", "v20.20.2", "x64")).toBe("hookd.cjs.0123456789abcdef.v20.20.2-x64.v8cache")
  })
})

describe("isStaleCacheName", () => {
  const hash = "0123456789abcdef"
  it.each([
    ["hookd.cjs.fedcba9876543210.v20.20.2-x64.v8cache", true, "another build's"],
    ["hookd.cjs.fedcba9876543210.v22.1.0-arm64.v8cache", true, "another build's, another node"],
    ["hookd.cjs.0123456789abcdef.v20.20.2-x64.v8cache", false, "this build's"],
    ["hookd.cjs.0123456789abcdef.v22.1.0-x64.v8cache", false, "this build's for another node (another user may run it)"],
    ["hookd.cjs", false, "the bundle itself"],
    ["hookd.cjs.map", false, "its source map"],
    ["hookctl.mjs.fedcba9876543210.v20.20.2-x64.v8cache", false, "another bundle's"],
    ["hookd.cjs.fedcba9876543210.v20.20.2-x64.v8cache.123.tmp", false, "a cache being written"]
  ])("%s → %s (%s)", (name, stale) => {
    expect(isStaleCacheName(name, "hookd.cjs", hash)).toBe(stale)
  })
})
