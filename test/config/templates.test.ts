import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { shellQuote, shellQuoteAll } from "../../src/config/shell-quote"
import { expandTemplates } from "../../src/config/templates"

/** What `sh` makes of a command line: one argument per line via printf. */
const shWords = (commandLine: string): string[] => {
  const out = execFileSync("sh", ["-c", `for w in ${commandLine}; do printf '%s\\0' "$w"; done`], { encoding: "utf8" })
  return out.split("\0").slice(0, -1)
}

describe("shellQuote", () => {
  it.each([
    ["plain", "'plain'"],
    ["", "''"],
    ["two words", "'two words'"],
    ["it's", "'it'\\''s'"],
    ['say "hi" $HOME `id` \\n', "'say \"hi\" $HOME `id` \\n'"]
  ])("%j → %s", (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted)
  })

  it("survives a round trip through sh for hostile words", () => {
    const words = ["a b", "it's", '"q"', "$(touch /nonexistent)", "`id`", "*", "\\", "new\nline", ""]
    expect(shWords(shellQuoteAll(words))).toEqual(words)
  })
})

describe("expandTemplates", () => {
  const values = {
    args: ["origin", "git@host:repo with space.git"],
    worktree: "/w/my tree",
    repoRoot: "/r/it's",
    stagedFiles: ["src/a.ts", "docs/with space.md", "it's.txt"]
  }

  it("{args} is every hook arg quoted and space-joined", () => {
    expect(expandTemplates("echo {args}", values)).toBe("echo 'origin' 'git@host:repo with space.git'")
  })

  it("{1}, {2} are single args; a missing one is ''", () => {
    expect(expandTemplates("x {1} {2} {3}", values)).toBe("x 'origin' 'git@host:repo with space.git' ''")
  })

  it("{staged_files} quotes each file, spaces and quotes included", () => {
    const run = expandTemplates("lint {staged_files}", values)
    expect(run).toBe("lint 'src/a.ts' 'docs/with space.md' 'it'\\''s.txt'")
    expect(shWords(run.slice("lint ".length))).toEqual(values.stagedFiles)
  })

  it("{worktree} and {repo_root} are quoted paths", () => {
    expect(expandTemplates("cd {worktree} && ls {repo_root}", values)).toBe("cd '/w/my tree' && ls '/r/it'\\''s'")
  })

  it("leaves unknown braces alone (shell brace expansion, ${VAR}, {0})", () => {
    const run = "echo {a,b} ${HOME} {0} {unknown} {args"
    expect(expandTemplates(run, values)).toBe(run)
  })

  it("no args gives an empty {args}", () => {
    expect(expandTemplates("run {args}", { ...values, args: [] })).toBe("run ")
  })
})
