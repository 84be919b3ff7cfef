// The configured-vs-installed classification and the reminder lines (pure), table-driven.
import { describe, expect, it } from "vitest"
import { classifyHooks, reminderLines, type HookFile } from "../../src/client/hook-inventory"

const files = (entries: Record<string, HookFile>) => new Map(Object.entries(entries))

describe("classifyHooks", () => {
  it.each([
    ["nothing configured, nothing installed", [], {}, { configured: [], installed: [], missing: [], foreign: [], unused: [], spool: [], wait: [] }],
    [
      "all installed, one a spool shim, one a wait shim",
      ["pre-commit", "post-checkout", "commit-msg"],
      { "pre-commit": "wait-shim", "post-checkout": "spool-shim", "commit-msg": "shim" },
      {
        configured: ["commit-msg", "post-checkout", "pre-commit"],
        installed: ["commit-msg", "post-checkout", "pre-commit"],
        missing: [],
        foreign: [],
        unused: [],
        spool: ["post-checkout"],
        wait: ["pre-commit"]
      }
    ],
    [
      "a new hook in the config",
      ["pre-commit", "commit-msg"],
      { "pre-commit": "shim" },
      { configured: ["commit-msg", "pre-commit"], installed: ["pre-commit"], missing: ["commit-msg"], foreign: [], unused: [], spool: [], wait: [] }
    ],
    [
      "a foreign hook in a configured hook's place, another one unconfigured",
      ["pre-push"],
      { "pre-push": "foreign", "post-merge": "foreign" },
      { configured: ["pre-push"], installed: [], missing: [], foreign: ["post-merge", "pre-push"], unused: [], spool: [], wait: [] }
    ],
    [
      "a shim the config no longer names",
      [],
      { "pre-commit": "shim" },
      { configured: [], installed: [], missing: [], foreign: [], unused: ["pre-commit"], spool: [], wait: [] }
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
