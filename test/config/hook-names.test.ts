// git hook names, did-you-mean and the bypass hint (pure, table-driven).
import { describe, expect, it } from "vitest"
import { bypassHint, closestName, GIT_HOOK_NAMES, NON_BLOCKING_HOOKS, unknownHookMessage } from "../../src/config/hook-names"
import { syntaxErrorHint } from "../../src/config/yaml-source"

describe("unknownHookMessage", () => {
  it.each([
    ["precommit", '"precommit" is not a git hook (did you mean "pre-commit"?); see githooks(5)'],
    ["post_merge", '"post_merge" is not a git hook (did you mean "post-merge"?); see githooks(5)'],
    ["Pre_Push", '"Pre_Push" is not a git hook (did you mean "pre-push"?); see githooks(5)'],
    ["commitmsg", '"commitmsg" is not a git hook (did you mean "commit-msg"?); see githooks(5)'],
    ["deploy", '"deploy" is not a git hook; see githooks(5)']
  ])("%s", (name, message) => expect(unknownHookMessage(name)).toBe(message))
})

describe("closestName", () => {
  it.each([
    ["postcheckout", "post-checkout"],
    ["pre-comit", "pre-commit"],
    ["xyz", undefined]
  ])("%s → %s", (name, near) => expect(closestName(name, GIT_HOOK_NAMES)).toBe(near))
})

describe("NON_BLOCKING_HOOKS", () => {
  it("holds exactly the post-hooks the SPEC names, all of them git hooks", () => {
    expect([...NON_BLOCKING_HOOKS].sort()).toEqual(
      ["post-applypatch", "post-checkout", "post-commit", "post-index-change", "post-merge", "post-rewrite", "reference-transaction"]
    )
    for (const hook of NON_BLOCKING_HOOKS) expect(GIT_HOOK_NAMES).toContain(hook)
  })
})

describe("bypassHint", () => {
  it.each([
    ["pre-commit", [], "git commit --no-verify (or HOOKD=0 git …)"],
    ["commit-msg", [], "git commit --no-verify (or HOOKD=0 git …)"],
    ["pre-push", [], "git push --no-verify (or HOOKD=0 git …)"],
    ["pre-merge-commit", [], "git merge --no-verify (or HOOKD=0 git …)"],
    ["pre-rebase", [], "git rebase --no-verify (or HOOKD=0 git …)"],
    ["applypatch-msg", [], "git am --no-verify (or HOOKD=0 git …)"],
    ["pre-applypatch", [], "git am --no-verify (or HOOKD=0 git …)"],
    ["sendemail-validate", [], "git send-email --no-validate (or HOOKD=0 git …)"],
    // git commit --no-verify skips pre-commit and commit-msg, never prepare-commit-msg
    ["prepare-commit-msg", [], "HOOKD=0 git commit … (git commit --no-verify does not skip prepare-commit-msg)"],
    [
      "prepare-commit-msg",
      ["msg", "ticket"],
      "HOOKD_SKIP=msg,ticket git commit … to skip those jobs, or HOOKD=0 git commit … (git commit --no-verify does not skip prepare-commit-msg)"
    ],
    ["pre-commit", ["lint"], "git commit --no-verify (or HOOKD=0 git …)"],
    ["update", [], "HOOKD=0 git …"],
    ["pre-auto-gc", ["gc-check"], "HOOKD_SKIP=gc-check git … to skip those jobs, or HOOKD=0 git …"]
  ])("%s %j", (hook, jobs, hint) => expect(bypassHint(hook, jobs)).toBe(hint))

  it("never offers --no-verify for prepare-commit-msg", () => {
    expect(bypassHint("prepare-commit-msg")).not.toMatch(/^git commit --no-verify/)
    expect(bypassHint("prepare-commit-msg")).toContain("HOOKD=0")
  })
})

describe("syntaxErrorHint", () => {
  it.each([
    ["BLOCK_AS_IMPLICIT_KEY", "Nested mappings are not allowed in compact mappings", 5, `quote values that contain ": " (run: 'echo "error: x"')`],
    ["BAD_INDENT", "All mapping items must start at the same column", 8, "check the indentation of line 8"],
    ["BAD_INDENT", "Flow sequence in block collection must be sufficiently indented and end with a ]", 4, undefined],
    ["TAB_AS_INDENT", "Tabs are not allowed as indentation", 3, "indent line 3 with spaces, not tabs"],
    ["DUPLICATE_KEY", "Map keys must be unique", 2, undefined]
  ])("%s %s", (code, message, line, hint) => expect(syntaxErrorHint(code, message, line)).toBe(hint))
})
