// A broken hookd.yml met by real git hooks: the hook says which file and line is wrong, a
// foreground hook fails (git refuses the commit), a background-only hook never blocks git, and
// nothing is recorded.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { git, makeGitRepo, runGit } from "../support/git"
import { hookctl, lsJson } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { useSupervisor } from "./helpers"

const VALID = [
  "hooks:",
  "  pre-commit:",
  "    jobs:",
  "      - {name: lint, run: 'echo lint ran'}",
  "  pre-push:",
  "    background: true",
  "    jobs:",
  "      - {name: publish-preview, run: 'echo preview'}",
  ""
].join("\n")

const PRE_COMMIT = (...jobLines: string[]) => ["hooks:", "  pre-commit:", "    jobs:", ...jobLines, ""].join("\n")

/** Each broken config, the file and line the message must name, and a phrase of the message. */
const BROKEN: ReadonlyArray<{ what: string; config: string; local?: string; file: string; line: number; says: string }> = [
  { what: "bad YAML", config: "hooks:\n  pre-commit:\n    jobs: [unclosed\n", file: "hookd.yml", line: 4, says: "YAML syntax error" },
  {
    what: "an unknown key",
    config: PRE_COMMIT("      - name: lint", "        run: 'true'", "        colour: red"),
    file: "hookd.yml",
    line: 6,
    says: 'unknown key "colour"'
  },
  {
    what: "a value of the wrong type",
    config: PRE_COMMIT("      - name: lint", "        run: 'true'", "        background: [yes]"),
    file: "hookd.yml",
    line: 6,
    says: "hooks.pre-commit.jobs[0].background"
  },
  {
    what: "a cycle in needs",
    config: PRE_COMMIT("      - name: a", "        run: 'true'", "        needs: [b]", "      - name: b", "        run: 'true'", "        needs: [a]"),
    file: "hookd.yml",
    line: 6,
    says: "cycle"
  },
  {
    what: "an unknown need",
    config: PRE_COMMIT("      - name: a", "        run: 'true'", "        needs: [nope]"),
    file: "hookd.yml",
    line: 6,
    says: 'unknown job "nope"'
  },
  {
    what: "a bad value in hookd-local.yml",
    config: VALID,
    local: "hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        timeout: soon\n",
    file: "hookd-local.yml",
    line: 5,
    says: "hooks.pre-commit.jobs[0].timeout"
  }
]

let sandbox: Sandbox
let counter = 0

useSupervisor({}, (started) => ({ sandbox } = started))

/** A repo whose shims were installed from a valid config, which is then replaced (as an edit would). */
const repoWithBrokenConfig = async (config: string, local?: string): Promise<string> => {
  const repo = makeGitRepo(join(sandbox.dir, `repo${counter++}`), sandbox.env)
  writeFileSync(join(repo, "hookd.yml"), VALID)
  const installed = await hookctl(sandbox, repo, ["hooks", "install"])
  expect(installed.code, installed.stderr).toBe(0)
  // One good run first, so the repo is known to the supervisor and "no new job" means something.
  expect((await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "good"], sandbox.env)).code).toBe(0)
  writeFileSync(join(repo, "hookd.yml"), config)
  if (local !== undefined) writeFileSync(join(repo, "hookd-local.yml"), local)
  return repo
}

const headOf = (repo: string) => git(repo, ["rev-parse", "HEAD"], sandbox.env).trim()

describe("a malformed hookd.yml", () => {
  it.each(BROKEN)("$what: git commit fails with file:line and the problem; no job is recorded", async (c) => {
    const repo = await repoWithBrokenConfig(c.config, c.local)
    const before = await lsJson(sandbox, repo)
    const head = headOf(repo)

    const r = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "must not land"], sandbox.env)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`${join(repo, c.file)}:${c.line}: `)
    expect(r.stderr).toContain(c.says)
    expect(r.stderr).not.toMatch(/\n\s+at /) // a message, not a stack trace
    expect(headOf(repo)).toBe(head)
    expect(await lsJson(sandbox, repo)).toEqual(before)
  })

  it("a background-only hook reports the problem but never blocks git (git push goes through)", async () => {
    const repo = await repoWithBrokenConfig(VALID.replace("{name: publish-preview, run: 'echo preview'}", "{name: publish-preview, run: 'echo preview', needs: [nope]}"))
    const remote = join(sandbox.dir, `remote${counter}.git`)
    git(sandbox.dir, ["init", "-q", "--bare", remote], sandbox.env)
    const before = await lsJson(sandbox, repo)

    const r = await runGit(repo, ["push", "-q", remote, "main"], sandbox.env)
    expect(r.stderr).toContain(`${join(repo, "hookd.yml")}:8: `)
    expect(r.stderr).toContain('unknown job "nope"')
    expect(r.code, r.stderr).toBe(0)
    expect(git(remote, ["rev-parse", "main"], sandbox.env).trim()).toBe(headOf(repo))
    expect(await lsJson(sandbox, repo)).toEqual(before)
  })

  it("the same hook runs again once the file is fixed", async () => {
    const repo = await repoWithBrokenConfig(BROKEN[1].config)
    expect((await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "no"], sandbox.env)).code).not.toBe(0)
    writeFileSync(join(repo, "hookd.yml"), VALID)
    const r = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "yes"], sandbox.env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).toContain("lint ran") // git sends a hook's stdout to its stderr
  })
})
