// The configured-vs-installed classification and the reminder lines (pure), table-driven.
import { describe, expect, it } from "vitest"
import { classifyHooks, reminderLines, type HookFile } from "../../src/client/hook-inventory"

const files = (entries: Record<string, HookFile>) => new Map(Object.entries(entries))

describe("classifyHooks", () => {
  it.each([
    ["nothing configured, nothing installed", [], {}, { configured: [], installed: [], missing: [], foreign: [], unused: [], spool: [] }],
    [
      "all installed, one of them a spool shim",
      ["pre-commit", "post-checkout"],
      { "pre-commit": "shim", "post-checkout": "spool-shim" },
      { configured: ["post-checkout", "pre-commit"], installed: ["post-checkout", "pre-commit"], missing: [], foreign: [], unused: [], spool: ["post-checkout"] }
    ],
    [
      "a new hook in the config",
      ["pre-commit", "commit-msg"],
      { "pre-commit": "shim" },
      { configured: ["commit-msg", "pre-commit"], installed: ["pre-commit"], missing: ["commit-msg"], foreign: [], unused: [], spool: [] }
    ],
    [
      "a foreign hook in a configured hook's place, another one unconfigured",
      ["pre-push"],
      { "pre-push": "foreign", "post-merge": "foreign" },
      { configured: ["pre-push"], installed: [], missing: [], foreign: ["post-merge", "pre-push"], unused: [], spool: [] }
    ],
    [
      "a shim the config no longer names",
      [],
      { "pre-commit": "shim" },
      { configured: [], installed: [], missing: [], foreign: [], unused: ["pre-commit"], spool: [] }
    ]
  ] as const)("%s", (_what, configured, found, expected) => {
    expect(classifyHooks(configured, files(found as Record<string, HookFile>))).toEqual(expected)
  })
})

describe("reminderLines", () => {
  it("names each configured hook with no shim, and a foreign file in a configured hook's place", () => {
    const inventory = classifyHooks(["commit-msg", "pre-push", "pre-commit"], files({ "pre-commit": "shim", "pre-push": "foreign", "post-merge": "foreign" }))
    expect(reminderLines("/w/hookd.yml", inventory, "/w/.git/hooks")).toEqual([
      "hookd: hookd.yml names commit-msg but no shim is installed — run hookctl hooks install",
      "hookd: hookd.yml names pre-push but /w/.git/hooks/pre-push is not a hookd shim — hookctl hooks install --force keeps it as a backup"
    ])
  })
  it("says nothing when every configured hook has its shim", () => {
    expect(reminderLines("/w/hookd.yml", classifyHooks(["pre-commit"], files({ "pre-commit": "shim" })), "/h")).toEqual([])
  })
})
