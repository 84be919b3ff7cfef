// hookd failing inside a git hook, with real git and a real supervisor: a post-hook never fails
// git (it warns with the fix and exits 0); a blocking hook fails with file:line and the bypass;
// a hook name git does not know is refused everywhere with a did-you-mean.
import { existsSync, readdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { git, makeGitRepo, repoWithHookdConfig, runGit } from "../support/git"
import { hookctl } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { useSupervisor } from "./helpers"

let sandbox: Sandbox
let counter = 0

useSupervisor({}, (started) => ({ sandbox } = started))

/** pre-commit and post-checkout each with a foreground job, so neither is "background-only". */
const VALID = [
  "hooks:",
  "  pre-commit:",
  "    jobs:",
  "      - {name: lint, run: 'true'}",
  "  post-checkout:",
  "    jobs:",
  "      - {name: note, run: 'true'}",
  ""
].join("\n")

const repoWith = (config: string) =>
  repoWithHookdConfig(join(sandbox.dir, `repo${counter++}`), sandbox.env, config, (repo) => hookctl(sandbox, repo, ["hooks", "install"]))

const BROKEN_YAML = [
  {
    what: 'an unquoted value containing ": "',
    yaml: VALID.replace("{name: note, run: 'true'}", "name: note\n        run: echo \"error: x\""),
    line: 8,
    hint: 'quote values that contain ": "'
  },
  {
    what: "a key indented wrongly",
    yaml: VALID + "   background: false\n",
    line: 8,
    hint: "check the indentation of line 8"
  }
]

describe("a hookd.yml with a YAML syntax error", () => {
  it.each(BROKEN_YAML)("$what: git checkout exits 0 with the warning and the hint; git commit exits 1 with file:line and --no-verify", async (c) => {
    const repo = await repoWith(VALID)
    writeFileSync(join(repo, "hookd.yml"), c.yaml)

    const checkout = await runGit(repo, ["checkout", "-q", "-b", `b${counter}`], sandbox.env)
    expect(checkout.code, checkout.stderr).toBe(0)
    expect(checkout.stderr).toContain(`${join(repo, "hookd.yml")}:${c.line}: `)
    expect(checkout.stderr).toContain("YAML syntax error")
    expect(checkout.stderr).toContain(c.hint)
    expect(checkout.stderr).toContain("the post-checkout hook ran no jobs; git goes on")

    const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "no"], sandbox.env)
    expect(commit.code).toBe(1)
    expect(commit.stderr).toContain(`${join(repo, "hookd.yml")}:${c.line}: `)
    expect(commit.stderr).toContain(c.hint)
    expect(commit.stderr).toContain("git commit --no-verify")
    expect(commit.stderr).not.toMatch(/\n\s+at /)
  })
})

describe("a post-hook never fails git", () => {
  it("an invalid config (foreground job) in post-checkout: warning, exit 0", async () => {
    const repo = await repoWith(VALID)
    writeFileSync(join(repo, "hookd.yml"), VALID.replace("{name: note, run: 'true'}", "{name: note, run: 'true', needs: [nope]}"))
    const r = await runGit(repo, ["checkout", "-q", "-b", `c${counter}`], sandbox.env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`${join(repo, "hookd.yml")}:7: `)
    expect(r.stderr).toContain('unknown job "nope"')
  })

  it("an unreachable supervisor in post-checkout (foreground job): warning with the fix, exit 0; pre-commit fails (git reports 1) with the bypass", async () => {
    const repo = await repoWith(VALID)
    const away = { ...sandbox.env, HOOKD_SOCKET: join(sandbox.dir, "nobody.sock"), HOOKD_NO_AUTOSTART: "1" }
    const checkout = await runGit(repo, ["checkout", "-q", "-b", `d${counter}`], away)
    expect(checkout.code, checkout.stderr).toBe(0)
    expect(checkout.stderr).toContain("cannot reach the hookd supervisor")
    expect(checkout.stderr).toContain("To fix:")

    const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "no"], away)
    expect(commit.code).toBe(1)
    expect(commit.stderr).toContain("git commit --no-verify")
  })

  it("a post-merge foreground job that fails still fails the hook: only hookd's own failures are forgiven", async () => {
    const repo = await repoWith(VALID.replace("{name: note, run: 'true'}", "{name: note, run: 'exit 7'}"))
    const r = await runGit(repo, ["checkout", "-q", "-b", `e${counter}`], sandbox.env)
    expect(r.code).not.toBe(0)
  })
})

describe("hook names are git's", () => {
  it("precommit: hooks install exits 2 naming pre-commit, and nothing appears in the hooks dir", async () => {
    const repo = makeGitRepo(join(sandbox.dir, `repo${counter++}`), sandbox.env)
    writeFileSync(join(repo, "hookd.yml"), "hooks:\n  precommit:\n    jobs:\n      - {name: lint, run: 'true'}\n  post-checkout:\n    jobs:\n      - {name: a, run: 'true'}\n")
    const hooksDir = join(repo, ".git", "hooks")
    const before = existsSync(hooksDir) ? readdirSync(hooksDir).sort() : []
    const r = await hookctl(sandbox, repo, ["hooks", "install"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('hooks.precommit: "precommit" is not a git hook (did you mean "pre-commit"?)')
    expect(r.stderr).toContain("nothing was installed")
    expect(existsSync(hooksDir) ? readdirSync(hooksDir).sort() : []).toEqual(before)
  })

  it("run-hook reports an unknown hook name as an invalid config with the did-you-mean", async () => {
    const repo = await repoWith(VALID)
    writeFileSync(join(repo, "hookd.yml"), VALID + "  post_merge:\n    jobs:\n      - {name: m, run: 'true'}\n")
    const commit = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "no"], sandbox.env)
    expect(commit.code).toBe(1)
    expect(commit.stderr).toContain(`${join(repo, "hookd.yml")}:8: hooks.post_merge: "post_merge" is not a git hook (did you mean "post-merge"?)`)
    const checkout = await runGit(repo, ["checkout", "-q", "-b", `f${counter}`], sandbox.env)
    expect(checkout.code, checkout.stderr).toBe(0)
    expect(checkout.stderr).toContain('did you mean "post-merge"?')
    git(repo, ["status"], sandbox.env)
  })
})
