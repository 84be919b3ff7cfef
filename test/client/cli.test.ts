// argv → Command for every command, and every usage error → UsageError (exit 2) with the usage line.
import { describe, expect, it } from "vitest"
import { parseCommandLine, type Command } from "../../src/client/cli"
import { UsageError } from "../../src/client/errors"

const CWD = "/home/u/src/web"
const parse = (...argv: string[]): Command => parseCommandLine(argv, CWD)

const usageError = (argv: string[]): UsageError => {
  try {
    parseCommandLine(argv, CWD)
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return e as UsageError
  }
  throw new Error(`expected a usage error for: ${argv.join(" ")}`)
}

describe("global options", () => {
  it("--version and -V", () => {
    expect(parse("--version")).toEqual({ kind: "version" })
    expect(parse("-V")).toEqual({ kind: "version" })
  })
  it("--help, -h and `help` print the global help; `help <cmd>` and `<cmd> --help` the command's", () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const c = parse(...argv)
      expect(c.kind).toBe("help")
      if (c.kind === "help") expect(c.text).toContain("run-hook")
    }
    for (const argv of [["help", "logs"], ["logs", "--help"], ["logs", "-h"]]) {
      const c = parse(...argv)
      expect(c.kind === "help" && c.text.startsWith("usage: hookctl logs [<job> | --failed]")).toBe(true)
    }
  })
  it("--repo before or after the command, resolved against the cwd", () => {
    expect(parse("--repo", "../api", "status")).toMatchObject({ kind: "status", repo: "/home/u/src/api" })
    expect(parse("--repo=/abs/x", "status")).toMatchObject({ repo: "/abs/x" })
    expect(parse("ls", "--repo", "/abs/y")).toMatchObject({ repo: "/abs/y" })
    expect(parse("status")).toMatchObject({ repo: CWD })
  })
  it("bare hookctl is the full help with exit 2", () => {
    const c = parse()
    expect(c).toMatchObject({ kind: "help", exitCode: 2 })
    if (c.kind === "help") for (const name of ["ls", "wait", "show", "logs", "run-hook"]) expect(c.text).toContain(`  ${name} `)
    expect(parse("--repo", "/x")).toMatchObject({ kind: "help", exitCode: 2 })
  })
  it("an unknown command, an unknown global option → usage, with a did-you-mean when one is close", () => {
    expect(usageError(["frobnicate"]).message).toContain('unknown command "frobnicate" (one of: status, ls,')
    expect(usageError(["shwo"]).message).toBe('unknown command "shwo" — did you mean "show"?')
    expect(usageError(["stauts"]).message).toBe('unknown command "stauts" — did you mean "status"?')
    expect(usageError(["--colour", "ls"]).message).toContain("unknown option --colour")
    expect(usageError(["--verison"]).message).toBe("unknown option --verison — did you mean --version?")
    expect(usageError(["--repo"]).usage).toContain("hookctl [--repo PATH]")
    expect(usageError(["frobnicate"]).exitCode).toBe(2)
  })
  it("parseArgs conventions: --flag=value, -- ends the options, a short flag", () => {
    expect(parse("--repo=/abs/x", "ls", "--hook=pre-commit")).toMatchObject({ repo: "/abs/x", query: { hook: "pre-commit" } })
    expect(parse("logs", "-f", "build")).toMatchObject({ follow: true })
  })
})

describe("status and shutdown", () => {
  it("parse", () => {
    expect(parse("status")).toEqual({ kind: "status", repo: CWD, json: false })
    expect(parse("status", "--json")).toMatchObject({ json: true })
    expect(parse("shutdown")).toEqual({ kind: "shutdown" })
  })
  it("reject extra words", () => {
    expect(usageError(["status", "now"]).usage).toBe("hookctl status [--json]")
    expect(usageError(["shutdown", "--force"]).message).toContain("unknown option --force")
  })
})

describe("ls", () => {
  it("defaults to a table of this repo", () => {
    expect(parse("ls")).toEqual({ kind: "ls", repo: CWD, format: "table", query: { allRepos: false, statuses: [], limit: 20 } })
    expect(parse("ls", "--limit", "0")).toMatchObject({ query: { limit: 0 } })
  })
  it("takes every filter, repeated and comma-separated statuses", () => {
    const c = parse(
      "ls", "--all-repos", "--worktree", "wt", "--hook", "post-checkout", "--status", "running",
      "--status=failed,queued", "--tag", "deps", "--inv", "AB12CD", "--limit", "5", "--tsv"
    )
    expect(c).toEqual({
      kind: "ls",
      repo: CWD,
      format: "tsv",
      query: {
        allRepos: true,
        worktree: "/home/u/src/web/wt",
        hook: "post-checkout",
        statuses: ["running", "failed", "queued"],
        tag: "deps",
        invocationPrefix: "ab12cd",
        limit: 5
      }
    })
    expect(parse("ls", "--json")).toMatchObject({ format: "json" })
    expect(parse("ls", "--ndjson")).toMatchObject({ format: "ndjson" })
  })
  it("--format, with the old flags as aliases", () => {
    for (const f of ["table", "json", "ndjson", "tsv", "csv", "markdown", "yaml"]) expect(parse("ls", "--format", f)).toMatchObject({ format: f })
    expect(parse("ls", "--format=json", "--json")).toMatchObject({ format: "json" })
  })
  it("--failed is failed, timed_out and crashed", () => {
    expect(parse("ls", "--failed")).toMatchObject({ query: { statuses: ["failed", "timed_out", "crashed"], failed: true } })
  })
  it("--watch with or without an interval", () => {
    expect(parse("ls", "--watch")).toMatchObject({ watchMs: 1000 })
    expect(parse("ls", "--watch", "2s")).toMatchObject({ watchMs: 2000 })
    expect(parse("ls", "--watch=500ms", "--hook", "h")).toMatchObject({ watchMs: 500, query: { hook: "h" } })
    expect(parse("ls", "--watch", "--failed")).toMatchObject({ watchMs: 1000, query: { statuses: ["failed", "timed_out", "crashed"] } })
  })
  it.each([
    [["ls", "--json", "--tsv"], "choose one of"],
    [["ls", "--status", "exploded"], 'unknown status "exploded"'],
    [["ls", "--format", "xml"], 'unknown format "xml"'],
    [["ls", "--format", "yml"], 'unknown format "yml" — did you mean "yaml"?'],
    [["ls", "--format", "csv", "--tsv"], "choose one of"],
    [["ls", "--failed", "--status", "failed"], "--failed"],
    [["ls", "--watch", "--json"], "--watch"],
    [["ls", "--watch", "soon"], 'unexpected argument "soon"'],
    [["ls", "--stauts", "failed"], "unknown option --stauts — did you mean --status?"],
    [["ls", "--status", "faild"], 'unknown status "faild" — did you mean "failed"?'],
    [["ls", "--hook", "-x"], "--hook needs a value"],
    [["ls", "--limit", "-3"], "--limit"],
    [["ls", "--inv", "xyz"], "--inv"],
    [["ls", "--inv", "abc"], "--inv"],
    [["ls", "--hook"], "--hook needs a value"],
    [["ls", "--json=yes"], "takes no value"],
    [["ls", "--tag", "a", "--tag", "b"], "given twice"],
    [["ls", "extra"], 'unexpected argument "extra"'],
    [["ls", "--", "x"], "unexpected `--`"]
  ])("%j → usage error", (argv, message) => {
    const e = usageError(argv)
    expect(e.message).toContain(message)
    expect(e.usage).toMatch(/^hookctl ls /)
  })
})

describe("logs", () => {
  it("a name, or an invocation prefix and a name", () => {
    expect(parse("logs", "build")).toEqual({
      kind: "logs",
      repo: CWD,
      job: { repo_root: CWD, name: "build" },
      follow: false,
      kinds: undefined,
      sinceSeq: undefined,
      sinceMs: undefined,
      json: false
    })
    expect(parse("logs")).toMatchObject({ job: { newest: "any", cwd: CWD } })
    expect(parse("logs", "--failed", "-f")).toMatchObject({ job: { newest: "failed", cwd: CWD }, follow: true })
    expect(parse("logs", "0a1b2c3d:build", "-f")).toMatchObject({
      job: { repo_root: CWD, invocation_prefix: "0a1b2c3d", name: "build" },
      follow: true
    })
  })
  it("kinds, since-seq, since and json", () => {
    expect(parse("logs", "x", "--stderr", "--status", "--since-seq", "0", "--since", "10m", "--json", "--follow")).toMatchObject({
      kinds: ["stderr", "status"],
      sinceSeq: 0,
      sinceMs: 600_000,
      json: true,
      follow: true
    })
  })
  it.each([
    [["logs", "build", "--failed"], "not both"],
    [["logs", "a", "b"], "unexpected argument"],
    [["logs", "bad name"], "invalid job name"],
    [["logs", "zz:build"], "invalid invocation prefix"],
    [["logs", "x", "--since", "yesterday"], "not a duration"],
    [["logs", "x", "--since-seq", "1.5"], "--since-seq"],
    [["logs", "x", "-g"], "unknown option -g"]
  ])("%j → usage error", (argv, message) => {
    expect(usageError(argv).message).toContain(message)
  })
})

describe("wait and show", () => {
  it("wait: a job, an invocation, every unfinished job, or the newest invocation of this worktree", () => {
    expect(parse("wait", "lint")).toEqual({ kind: "wait", repo: CWD, target: { by: "job", job: { repo_root: CWD, name: "lint" } } })
    expect(parse("wait", "--inv", "ABCD12")).toMatchObject({ target: { by: "invocation", prefix: "abcd12" } })
    expect(parse("wait", "--all", "--timeout", "90s")).toMatchObject({ target: { by: "all" }, timeoutMs: 90_000 })
    expect(parse("wait")).toMatchObject({ target: { by: "newest-invocation", cwd: CWD } })
  })
  it("show <job> [--json]", () => {
    expect(parse("show", "a1b2c3d4:lint", "--json")).toEqual({
      kind: "show",
      repo: CWD,
      job: { repo_root: CWD, invocation_prefix: "a1b2c3d4", name: "lint" },
      json: true
    })
  })
  it.each([
    [["wait", "lint", "--all"], "at most one of"],
    [["wait", "--inv", "abcd", "--all"], "at most one of"],
    [["wait", "--timeout", "later"], "not a duration"],
    [["wait", "a", "b"], "unexpected argument"],
    [["show"], "missing <job>"],
    [["show", "bad name"], "invalid job name"]
  ])("%j → usage error", (argv, message) => {
    expect(usageError(argv).message).toContain(message)
  })
})

describe("cancel", () => {
  it("one job, --all (this repo or every repo), or filters", () => {
    expect(parse("cancel", "lint")).toEqual({ kind: "cancel", repo: CWD, target: { by: "job", job: { repo_root: CWD, name: "lint" } } })
    expect(parse("cancel", "--all")).toMatchObject({ target: { by: "all", allRepos: false } })
    expect(parse("cancel", "--all", "--all-repos")).toMatchObject({ target: { by: "all", allRepos: true } })
    expect(parse("cancel", "--hook", "post-checkout", "--tag", "deps", "--older-than", "1h", "--inv", "abcd")).toMatchObject({
      target: { by: "matching", filters: { hook: "post-checkout", tag: "deps", olderThanSecs: 3600, invocationPrefix: "abcd" } }
    })
    expect(parse("cancel", "--worktree", "../other")).toMatchObject({ target: { filters: { worktree: "/home/u/src/other" } } })
  })
  it.each([
    [["cancel"], "exactly one of"],
    [["cancel", "lint", "--all"], "exactly one of"],
    [["cancel", "--all", "--hook", "x"], "exactly one of"],
    [["cancel", "lint", "--tag", "x"], "exactly one of"],
    [["cancel", "--hook", "x", "--all-repos"], "--all-repos goes with --all"],
    [["cancel", "--older-than", "soon"], "not a duration"]
  ])("%j → usage error", (argv, message) => {
    expect(usageError(argv).message).toContain(message)
  })
})

describe("retry", () => {
  it("a job or an invocation prefix", () => {
    expect(parse("retry", "abcd1234:build")).toMatchObject({
      target: { job: { repo_root: CWD, invocation_prefix: "abcd1234", name: "build" } }
    })
    expect(parse("retry", "--inv", "abcd1234")).toMatchObject({ target: { invocationPrefix: "abcd1234" } })
  })
  it("needs exactly one of them", () => {
    expect(usageError(["retry"]).message).toContain("either")
    expect(usageError(["retry", "build", "--inv", "abcd"]).message).toContain("either")
  })
})

describe("prune", () => {
  it("parses", () => {
    expect(parse("prune")).toEqual({ kind: "prune", repo: CWD, dryRun: false, olderThanSecs: undefined, allRepos: false, json: false })
    expect(parse("prune", "--dry-run", "--older-than", "30d", "--json", "--all-repos")).toMatchObject({
      dryRun: true,
      olderThanSecs: 30 * 86400,
      json: true,
      allRepos: true
    })
  })
  it("rejects a bad duration", () => {
    expect(usageError(["prune", "--older-than", "1 month"]).usage).toMatch(/^hookctl prune/)
  })
})

describe("run-hook", () => {
  it("passes everything after -- through, including option-looking words", () => {
    expect(parse("run-hook", "pre-push", "--", "origin", "--mode", "-f")).toEqual({
      kind: "run-hook",
      repo: CWD,
      hook: "pre-push",
      mode: "auto",
      args: ["origin", "--mode", "-f"],
      force: false
    })
    expect(parse("run-hook", "post-checkout", "--mode", "background")).toMatchObject({ mode: "background", args: [] })
    expect(parse("run-hook", "post-checkout", "--force", "--", "a")).toMatchObject({ force: true, args: ["a"] })
  })
  it.each([
    [["run-hook"], "missing <hook>"],
    [["run-hook", "pre-commit", "--mode", "later"], "--mode"],
    [["run-hook", "Pre Commit"], "not a git hook name"]
  ])("%j → usage error", (argv, message) => {
    expect(usageError(argv).message).toContain(message)
  })
})

describe("hooks, service, completion", () => {
  it("hooks install [--force] | uninstall | status [--format json]", () => {
    expect(parse("hooks", "install")).toEqual({ kind: "hooks", repo: CWD, action: "install", force: false, json: false })
    expect(parse("hooks", "status")).toEqual({ kind: "hooks", repo: CWD, action: "status", force: false, json: false })
    expect(parse("hooks", "status", "--format", "json")).toMatchObject({ action: "status", json: true })
    expect(usageError(["hooks", "status", "--format", "yaml"]).message).toContain("--format")
    expect(usageError(["hooks", "install", "--format", "json"]).message).toContain("--format goes with status")
    expect(usageError(["hooks", "status", "--force"]).message).toContain("--force goes with install")
    expect(parse("hooks", "install", "--force")).toMatchObject({ force: true })
    expect(parse("hooks", "uninstall")).toMatchObject({ action: "uninstall" })
    expect(usageError(["hooks"]).message).toContain("missing")
    expect(usageError(["hooks", "reinstall"]).message).toContain("unknown hooks action")
    expect(usageError(["hooks", "uninstall", "--force"]).message).toContain("--force")
  })
  it("service passes its words to the service module untouched", () => {
    expect(parse("service", "install", "--dry-run")).toEqual({ kind: "service", args: ["install", "--dry-run"] })
    expect(parse("service", "--help").kind).toBe("help")
    expect(usageError(["service"]).usage).toContain("service install")
  })
  it("completion bash|zsh|fish", () => {
    expect(parse("completion", "fish")).toEqual({ kind: "completion", shell: "fish" })
    expect(usageError(["completion"]).message).toContain("missing shell")
    expect(usageError(["completion", "tcsh"]).message).toContain('unknown shell "tcsh"')
  })
})
