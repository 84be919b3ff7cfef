// skip/only conditions against real git repos and real processes; exclude_tags; staged files.
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { isTruthyEnv, refGlobMatches } from "../../src/config/conditions"
import { context, git, gitFailing, gitRepo, loadError, loadOk, reasons, tempDir, writeFiles } from "./support"

type ConditionJob = readonly [name: string, key: "skip" | "only", condition: string]

/** A pre-commit config with one job per entry: `[name, "skip" | "only", condition as YAML]`. */
const jobsWith = (...jobs: ReadonlyArray<ConditionJob>) =>
  `hooks:\n  pre-commit:\n    jobs:\n${jobs
    .map(([name, key, condition]) => `      - name: ${name}\n        run: "true"\n        ${key}: ${condition}\n`)
    .join("")}`

describe("env truthiness", () => {
  it.each([
    ["1", true],
    ["yes", true],
    ["true", true],
    ["", false],
    ["0", false],
    ["false", false],
    ["FALSE", false]
  ])("%j → %s", (value, truthy) => {
    expect(isTruthyEnv({ X: value }, "X")).toBe(truthy)
  })

  it("an unset variable is falsy", () => {
    expect(isTruthyEnv({}, "X")).toBe(false)
  })
})

describe("ref globs", () => {
  it.each([
    ["main", "main", true],
    ["main", "mainline", false],
    ["release/*", "release/1.2", true],
    ["release/*", "release/1.2/hotfix", false],
    ["release/**", "release/1.2/hotfix", true],
    ["**", "feature/x/y", true],
    ["feat-?", "feat-1", true],
    ["feat-?", "feat-12", false],
    ["v1.2", "v1x2", false],
    ["*", "a/b", false]
  ])("%s vs %s → %s", (glob, ref, matches) => {
    expect(refGlobMatches(glob, ref)).toBe(matches)
  })
})

describe("skip and only", () => {
  it("true and false, both ways", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": jobsWith(["j0", "skip", "true"], ["j1", "skip", "false"], ["o0", "only", "true"], ["o1", "only", "false"])
    })
    expect(reasons(await loadOk(context(dir)))).toEqual({ j0: "skip: true", j1: undefined, o0: undefined, o1: "only: false" })
  })

  it("a bare string is an env var: set/unset, both ways", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": `hooks:
  pre-commit:
    jobs:
      - { name: s-set, run: "true", skip: SKIP_LINT }
      - { name: s-unset, run: "true", skip: OTHER }
      - { name: s-zero, run: "true", skip: ZERO }
      - { name: o-set, run: "true", only: [{ env: SKIP_LINT }] }
      - { name: o-unset, run: "true", only: [{ env: OTHER }] }
`
    })
    const loaded = await loadOk(context(dir, { env: { SKIP_LINT: "1", ZERO: "0" } }))
    expect(reasons(loaded)).toEqual({
      "s-set": "skip: env SKIP_LINT",
      "s-unset": undefined,
      "s-zero": undefined,
      "o-set": undefined,
      "o-unset": "only: env OTHER not set"
    })
  })

  it("{run: cmd} is met on exit 0, runs in the worktree with the hook's env", async () => {
    const dir = tempDir()
    writeFiles(dir, { marker: "" })
    writeFiles(dir, {
      "hookd.yml": jobsWith(
        ["j0", "skip", "[{ run: 'test -f marker' }]"],
        ["j1", "skip", "[{ run: 'exit 1' }]"],
        ["j2", "skip", `[{ run: 'test "$FLAVOUR" = spicy' }]`],
        ["o0", "only", "[{ run: 'test -f marker' }]"],
        ["o1", "only", "[{ run: 'exit 3' }]"]
      )
    })
    const loaded = await loadOk(context(dir, { env: { FLAVOUR: "spicy" } }))
    expect(reasons(loaded)).toEqual({
      j0: "skip: run `test -f marker` exited 0",
      j1: undefined,
      j2: 'skip: run `test "$FLAVOUR" = spicy` exited 0',
      o0: undefined,
      o1: "only: run `exit 3` exited 3"
    })
  })

  it("skip needs ANY condition met; only needs ALL (and stops at the first miss)", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": `hooks:
  pre-commit:
    jobs:
      - { name: any, run: "true", skip: [{ env: UNSET }, { env: SET }] }
      - { name: all-met, run: "true", only: [{ env: SET }, { run: "true" }] }
      - { name: one-missing, run: "true", only: [{ env: SET }, { env: UNSET }, { run: "touch ran" }] }
`
    })
    const loaded = await loadOk(context(dir, { env: { SET: "1" } }))
    expect(reasons(loaded)).toEqual({ any: "skip: env SET", "all-met": undefined, "one-missing": "only: env UNSET not set" })
    expect(existsSync(join(dir, "ran"))).toBe(false)
  })

  it("hook-level skip/only apply to all of the hook's jobs", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": `hooks:
  pre-commit:
    skip: CI
    jobs:
      - { name: a, run: "true" }
  pre-push:
    only: [{ env: RELEASE }]
    jobs:
      - { name: b, run: "true" }
      - { name: c, run: "true" }
`
    })
    expect(reasons(await loadOk(context(dir, { env: { CI: "true" } })))).toEqual({ a: "hook skip: env CI" })
    expect(reasons(await loadOk(context(dir, { env: {} })))).toEqual({ a: undefined })
    expect(reasons(await loadOk(context(dir, { hook: "pre-push" })))).toEqual({
      b: "hook only: env RELEASE not set",
      c: "hook only: env RELEASE not set"
    })
    expect(reasons(await loadOk(context(dir, { hook: "pre-push", env: { RELEASE: "1" } })))).toEqual({ b: undefined, c: undefined })
  })
})

describe("git conditions", () => {
  const mergeRebaseRefJobs = jobsWith(
    ["j0", "skip", "[merge]"],
    ["j1", "skip", "[rebase]"],
    ["j2", "skip", '[{ ref: "release/*" }]'],
    ["o0", "only", "[merge]"],
    ["o1", "only", "[rebase]"],
    ["o2", "only", '[{ ref: "release/*" }]']
  )

  it("nothing in progress on main: skips none, only-jobs are skipped", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "hookd.yml": mergeRebaseRefJobs })
    expect(reasons(await loadOk(context(dir)))).toEqual({
      j0: undefined,
      j1: undefined,
      j2: undefined,
      o0: "only: no merge in progress",
      o1: "only: no rebase in progress",
      o2: "only: ref release/* not matched"
    })
  })

  it("merge: met during a real conflicting merge", async () => {
    const dir = gitRepo()
    git(dir, "checkout", "-q", "-b", "other")
    writeFiles(dir, { README: "other\n" })
    git(dir, "commit", "-q", "-am", "other")
    git(dir, "checkout", "-q", "main")
    writeFiles(dir, { README: "main\n" })
    git(dir, "commit", "-q", "-am", "main")
    gitFailing(dir, "merge", "other")
    writeFiles(dir, { "hookd.yml": jobsWith(["j0", "skip", "[merge]"], ["j1", "skip", "[rebase]"], ["o0", "only", "[merge]"]) })
    expect(reasons(await loadOk(context(dir)))).toEqual({ j0: "skip: merge in progress", j1: undefined, o0: undefined })
  })

  it("merge and rebase look in a linked worktree's own git dir", async () => {
    const repo = gitRepo()
    const linked = join(tempDir(), "linked")
    git(repo, "worktree", "add", "-q", linked)
    const gitDir = git(linked, "rev-parse", "--git-dir").trim()
    writeFileSync(join(gitDir, "MERGE_HEAD"), git(repo, "rev-parse", "HEAD"))
    mkdirSync(join(gitDir, "rebase-apply"))
    writeFiles(linked, { "hookd.yml": jobsWith(["j0", "skip", "[merge]"], ["j1", "skip", "[rebase]"]) })
    expect(reasons(await loadOk(context(linked, { repoRoot: repo })))).toEqual({
      j0: "skip: merge in progress",
      j1: "skip: rebase in progress"
    })
    // The main worktree has neither.
    writeFiles(repo, { "hookd.yml": jobsWith(["j0", "skip", "[merge]"], ["j1", "skip", "[rebase]"]) })
    expect(reasons(await loadOk(context(repo)))).toEqual({ j0: undefined, j1: undefined })
  })

  it("rebase: met while rebase-merge/ exists", async () => {
    const dir = gitRepo()
    mkdirSync(join(dir, ".git", "rebase-merge"))
    writeFiles(dir, { "hookd.yml": jobsWith(["j0", "skip", "[rebase]"]) })
    expect(reasons(await loadOk(context(dir)))).toEqual({ j0: "skip: rebase in progress" })
  })

  it("ref: matches the current branch by glob", async () => {
    const dir = gitRepo()
    git(dir, "checkout", "-q", "-b", "release/1.2")
    writeFiles(dir, {
      "hookd.yml": jobsWith(
        ["j0", "skip", '[{ ref: "release/*" }]'],
        ["j1", "skip", '[{ ref: "main" }]'],
        ["o0", "only", '[{ ref: "release/*" }]'],
        ["o1", "only", '[{ ref: "rel*" }]']
      )
    })
    expect(reasons(await loadOk(context(dir)))).toEqual({
      j0: "skip: ref release/* matched",
      j1: undefined,
      o0: undefined,
      o1: "only: ref rel* not matched"
    })
  })

  it("ref: a detached HEAD matches no glob", async () => {
    const dir = gitRepo()
    git(dir, "checkout", "-q", "--detach")
    writeFiles(dir, { "hookd.yml": jobsWith(["j0", "only", '[{ ref: "**" }]']) })
    expect(reasons(await loadOk(context(dir)))).toEqual({ j0: "only: ref ** not matched" })
  })
})

describe("exclude_tags", () => {
  const config = `hooks:
  post-checkout:
    exclude_tags: [slow]
    jobs:
      - { name: install, run: "true", tags: [deps] }
      - { name: build, run: "true", tags: [slow, build] }
      - { name: plain, run: "true" }
`
  it("skips jobs with a tag excluded by the hook", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config })
    expect(reasons(await loadOk(context(dir, { hook: "post-checkout" })))).toEqual({
      install: undefined,
      build: "excluded tag slow",
      plain: undefined
    })
  })

  it("adds the tags of HOOKD_EXCLUDE_TAGS", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config })
    const loaded = await loadOk(context(dir, { hook: "post-checkout", env: { HOOKD_EXCLUDE_TAGS: " deps , other," } }))
    expect(reasons(loaded)).toEqual({ install: "excluded tag deps", build: "excluded tag slow", plain: undefined })
  })
})

describe("templates from the hook", () => {
  it("expands args and worktree paths in run", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": 'hooks:\n  pre-push:\n    jobs:\n      - { name: a, run: "check {1} {2} {args} {worktree} {repo_root} ${HOME} {x}" }\n' })
    const loaded = await loadOk(context(dir, { hook: "pre-push", args: ["origin", "it's here"], repoRoot: "/repo root" }))
    expect(loaded.jobs[0].run).toBe(`check 'origin' 'it'\\''s here' 'origin' 'it'\\''s here' '${dir}' '/repo root' \${HOME} {x}`)
  })

  it("{staged_files} lists the real index, names with spaces quoted; deleted files left out", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "with space.txt": "x", "it's.md": "y", "unstaged.txt": "z", "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - { name: lint, run: "lint {staged_files}" }\n' })
    git(dir, "add", "with space.txt", "it's.md")
    git(dir, "rm", "-q", "README")
    const loaded = await loadOk(context(dir))
    expect(loaded.jobs[0].run).toBe("lint 'it'\\''s.md' 'with space.txt'")
  })

  it("a job using {staged_files} with nothing staged is skipped", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - { name: lint, run: "lint {staged_files}" }\n      - { name: other, run: "true" }\n' })
    expect(reasons(await loadOk(context(dir)))).toEqual({ lint: "no staged files", other: undefined })
  })

  it("{staged_files} outside a git repo is a ConfigInvalid naming the run line", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        run: "lint {staged_files}"\n' })
    const error = await loadError(context(dir, { env: { GIT_CEILING_DIRECTORIES: dir } }))
    expect(error.line).toBe(5)
    expect(error.path).toBe("hooks.pre-commit.jobs[0].run")
    expect(error.message).toMatch(/staged_files/)
  })

  it("a skipped job keeps its run unexpanded and does not ask git", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - { name: lint, run: "lint {staged_files} {1}", skip: true }\n' })
    const loaded = await loadOk(context(dir, { args: ["x"] }))
    expect(loaded.jobs).toEqual([{ name: "lint", run: "lint {staged_files} {1}", background: false, skip_reason: "skip: true" }])
  })
})
