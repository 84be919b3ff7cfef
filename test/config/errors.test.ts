// Every config problem is a ConfigInvalid naming the file, the 1-based line and the path.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { context, loadError, tempDir, writeFiles } from "./support"

const invalid = async (files: Record<string, string>, hook = "pre-commit") => {
  const dir = tempDir()
  writeFiles(dir, files)
  const error = await loadError(context(dir, { hook }))
  return { dir, error }
}

describe("ConfigInvalid", () => {
  it("bad YAML syntax names the line of the error", async () => {
    const { dir, error } = await invalid({ "hookd.yml": "hooks:\n  pre-commit:\n    jobs: [\n      - name: a\n" })
    expect(error._tag).toBe("ConfigInvalid")
    expect(error.file).toBe(join(dir, "hookd.yml"))
    expect(error.line).toBe(4)
    expect(error.message).toMatch(/YAML syntax error/)
  })

  it("a duplicate key is a syntax error at its line", async () => {
    const { error } = await invalid({ "hookd.yml": "log:\n  keep_last: 1\n  keep_last: 2\n" })
    expect(error.line).toBe(3)
    expect(error.message).toMatch(/unique|duplicate/i)
  })

  it("an unknown key names the key, its line and path, and the allowed keys", async () => {
    const { dir, error } = await invalid({
      "hookd.yml": `hooks:
  pre-commit:
    jobs:
      - name: a
        run: "true"
      - name: b
        run: "true"
        nedds: [a]
`
    })
    expect(error.file).toBe(join(dir, "hookd.yml"))
    // Lines 8-14 hold the aliases; the first level whose expansion passes the cap is named.
    expect(error.line).toBeGreaterThanOrEqual(8)
    expect(error.line).toBeLessThanOrEqual(14)
    expect(error.path).toBe("hooks.pre-commit.jobs[1].nedds")
    expect(error.message).toContain('unknown key "nedds"')
    expect(error.message).toContain('did you mean "needs"')
    expect(error.message).toContain("allowed keys: name, run, cwd, env, needs, tags, background, timeout, log, skip, only, concurrency, retry, notify, inputs, outputs")
  })

  it("an unknown hook name is an unknown key of hooks", async () => {
    const { error } = await invalid({ "hookd.yml": "hooks:\n  pre-comit:\n    jobs: []\n" })
    expect(error.line).toBe(2)
    expect(error.path).toBe("hooks.pre-comit")
    expect(error.message).toContain('did you mean "pre-commit"')
  })

  it("a wrong type names the value's line and path", async () => {
    const { error } = await invalid({
      "hookd.yml": `hooks:
  pre-commit:
    jobs:
      - name: a
        run: "true"
      - name: b
        run: "true"
        timeout: fast
`
    })
    // Lines 8-14 hold the aliases; the first level whose expansion passes the cap is named.
    expect(error.line).toBeGreaterThanOrEqual(8)
    expect(error.line).toBeLessThanOrEqual(14)
    expect(error.path).toBe("hooks.pre-commit.jobs[1].timeout")
    expect(error.message).toMatch(/expected a duration.*got "fast"/)
  })

  it.each([
    ["background: yes-please", "hooks.pre-commit.jobs[0].background", /expected true or false/],
    ["env: { A: null }", "hooks.pre-commit.jobs[0].env.A", /expected a string or a number or true or false, got null/],
    ["log: { max_size: huge }", "hooks.pre-commit.jobs[0].log.max_size", /expected a size/],
    ["log: { sampling_every_nth: 0 }", "hooks.pre-commit.jobs[0].log.sampling_every_nth", /≥ 1/],
    ["skip: [merge, mrge]", "hooks.pre-commit.jobs[0].skip[1]", /expected merge, rebase, \{env: NAME\}/],
    ["skip: [{ env: A, ref: b }]", "hooks.pre-commit.jobs[0].skip[0]", /exactly one of the keys env, ref, run/],
    ["skip: [{ branch: main }]", "hooks.pre-commit.jobs[0].skip[0].branch", /unknown key "branch"; allowed keys: env, ref, run/],
    ["only: merge", "hooks.pre-commit.jobs[0].only", /write \[merge\]/],
    ["tags: [a b]", "hooks.pre-commit.jobs[0].tags[0]", /invalid tag/]
  ])("%s → %s", async (line, path, message) => {
    const { error } = await invalid({ "hookd.yml": `hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: "true"\n        ${line}\n` })
    expect(error.line).toBe(6)
    expect(error.path).toBe(path)
    expect(error.message).toMatch(message)
  })

  it("a missing run names the job", async () => {
    const { error } = await invalid({ "hookd.yml": "hooks:\n  pre-commit:\n    jobs:\n      - name: a\n" })
    expect(error.line).toBe(4)
    expect(error.path).toBe("hooks.pre-commit.jobs[0].run")
    expect(error.message).toBe('required key "run" is missing')
  })

  it.each(["a/b", "-lead", "has space", ".hidden", "x".repeat(129)])("job name %j is rejected", async (name) => {
    const { error } = await invalid({ "hookd.yml": `hooks:\n  pre-commit:\n    jobs:\n      - run: "true"\n        name: ${JSON.stringify(name)}\n` })
    expect(error.line).toBe(5)
    expect(error.path).toBe("hooks.pre-commit.jobs[0].name")
    expect(error.message).toMatch(/invalid job name/)
  })

  it.each(["/etc", "../up", "a/../../up", "./.."])("cwd %j escaping the worktree is rejected", async (cwd) => {
    const { error } = await invalid({ "hookd.yml": `hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: "true"\n        cwd: ${JSON.stringify(cwd)}\n` })
    expect(error.line).toBe(6)
    expect(error.path).toBe("hooks.pre-commit.jobs[0].cwd")
    expect(error.message).toMatch(/relative path inside the worktree/)
  })

  it("a cycle in needs names the job's needs line", async () => {
    const { error } = await invalid({
      "hookd.yml": `hooks:
  post-merge:
    jobs:
      - name: a
        run: "true"
        needs: [c]
      - name: b
        run: "true"
        needs: [a]
      - name: c
        run: "true"
        needs: [b]
`
    })
    expect(error.line).toBe(6)
    expect(error.path).toBe("hooks.post-merge.jobs[0].needs")
    expect(error.message).toBe("jobs form a cycle: a -> c -> b -> a")
  })

  it("an unknown need names the item, even when another hook is run", async () => {
    const { error } = await invalid(
      { "hookd.yml": 'hooks:\n  post-merge:\n    jobs:\n      - name: a\n        run: "true"\n        needs:\n          - ghost\n' },
      "pre-commit"
    )
    expect(error.line).toBe(7)
    expect(error.path).toBe("hooks.post-merge.jobs[0].needs[0]")
    expect(error.message).toContain('needs unknown job "ghost"')
  })

  it("a duplicate job name names the second job", async () => {
    const { error } = await invalid({
      "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: "true"\n      - name: a\n        run: "false"\n'
    })
    expect(error.line).toBe(6)
    expect(error.path).toBe("hooks.pre-commit.jobs[1].name")
  })

  it("needs are checked before conditions: a skipped job's cycle still fails", async () => {
    const { error } = await invalid({
      "hookd.yml": 'hooks:\n  pre-commit:\n    skip: true\n    jobs:\n      - name: a\n        run: "true"\n        needs: [a]\n'
    })
    expect(error.path).toBe("hooks.pre-commit.jobs[0].needs")
  })

  it("a problem in hookd-local.yml names that file and its line", async () => {
    const { dir, error } = await invalid({
      "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: "true"\n',
      "hookd-local.yml": "# mine\nhooks:\n  pre-commit:\n    jobs:\n      - name: a\n        timeout: soon\n"
    })
    expect(error.file).toBe(join(dir, "hookd-local.yml"))
    expect(error.line).toBe(6)
    expect(error.path).toBe("hooks.pre-commit.jobs[0].timeout")
  })

  it("a job appended by hookd-local.yml keeps its local path in the line lookup", async () => {
    const { dir, error } = await invalid({
      "hookd.yml": 'hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: "true"\n',
      "hookd-local.yml": "hooks:\n  pre-commit:\n    jobs:\n      - name: b\n"
    })
    expect(error.file).toBe(join(dir, "hookd-local.yml"))
    expect(error.line).toBe(4)
    expect(error.path).toBe("hooks.pre-commit.jobs[1].run")
  })

  it("the first problem in the file is reported, with a count of the others", async () => {
    const { error } = await invalid({ "hookd.yml": "log:\n  retention: 7x\n  keep_last: -1\nhooks:\n  pre-commit:\n    jobs: 3\n" })
    expect(error.line).toBe(2)
    expect(error.path).toBe("log.retention")
    expect(error.message).toMatch(/\(and 2 more problems\)$/)
  })

  it("aliases that multiply (a 'billion laughs') are refused at the alias line instead of exhausting memory", async () => {
    // 10^8 values once expanded: before the cap this ran the supervisor out of heap.
    let text = "hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: echo\n        env:\n"
    text += "          A0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for (let i = 1; i < 8; i++) text += `          A${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`
    const { error } = await invalid({ "hookd.yml": text })
    // Lines 8-14 hold the aliases; the first level whose expansion passes the cap is named.
    expect(error.line).toBeGreaterThanOrEqual(8)
    expect(error.line).toBeLessThanOrEqual(14)
    expect(error.message).toMatch(/aliases expand to more than \d+ values/)
  })

  it("an alias inside its own anchor is refused, naming the alias", async () => {
    const { error } = await invalid({ "hookd.yml": "hooks:\n  pre-commit:\n    jobs: &loop\n      - *loop\n" })
    expect(error.line).toBe(4)
    expect(error.message).toContain("alias *loop cannot be resolved")
  })

  it("a file that is not UTF-8 (a Latin-1 é) is refused at the line of the bad byte, not run with U+FFFD", async () => {
    const dir = tempDir()
    const text = Buffer.concat([
      Buffer.from("hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: echo caf"),
      Buffer.from([0xe9]),
      Buffer.from("\n")
    ])
    writeFileSync(join(dir, "hookd.yml"), text)
    const error = await loadError(context(dir))
    expect(error.line).toBe(5)
    expect(error.message).toContain("not valid UTF-8")
  })

  it("a file that is not a map is a problem at the root", async () => {
    const { error } = await invalid({ "hookd.yml": "- pre-commit\n" })
    expect(error.line).toBe(1)
    expect(error.path).toBe("(root)")
    expect(error.message).toMatch(/expected a map with the keys log, hooks/)
  })
})
