// Control characters from elsewhere never reach the terminal raw (issue 14 item 11): the escaping
// function as a table, then every human output of the built hookctl against a scripted server.
import { describe, expect, it } from "vitest"
import type { JobInfo, LogRecord } from "../../src/protocol/types"
import { describeServerError } from "../../src/client/errors"
import { jobsTable } from "../../src/client/jobs-view"
import { renderMachineFormat } from "../../src/client/list-formats"
import { formatStatusEvent } from "../../src/client/commands/logs"
import { terminalSafe } from "../../src/protocol/terminal-text"
import { useScriptedServer } from "./scripted-server"
import { runHookctl } from "./support"

// Anything a terminal would act on: C0 (except the newline/tab a caller allows), DEL, C1, bidi.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
const ESC = "\x1b"
const HOSTILE_PATH = "/home/u/evil\nrepo\x1b]0;pwned\x07"
const HOSTILE_NAME = `lint${ESC}[2J`

describe("terminalSafe", () => {
  it.each([
    ["plain text", "npm run build", "npm run build"],
    ["a newline", "a\nb", "a\\nb"],
    ["a carriage return and a tab", "a\rb\tc", "a\\rb\\tc"],
    ["ESC (a CSI sequence)", `${ESC}[2J`, "\\e[2J"],
    ["an OSC title sequence with BEL", `${ESC}]0;x\x07`, "\\e]0;x\\x07"],
    ["NUL and DEL", "a\x00b\x7f", "a\\x00b\\x7f"],
    ["a C1 control (CSI)", "a\x9bb", "a\\x9bb"],
    ["a bidi override", "abc\u202edef", "abc\\u202edef"],
    ["unicode text", "café ✓ 日本", "café ✓ 日本"]
  ])("escapes %s", (_what, input, expected) => {
    expect(terminalSafe(input)).toBe(expected)
  })

  it("keeps newlines only when asked, still escaping the rest", () => {
    expect(terminalSafe(`line 1\nline 2${ESC}[31m`, { keepNewlines: true })).toBe("line 1\nline 2\\e[31m")
  })

  it("is idempotent: escaped text has nothing left to escape", () => {
    const once = terminalSafe(HOSTILE_PATH)
    expect(terminalSafe(once)).toBe(once)
    expect(once).not.toMatch(RAW_CONTROL)
  })
})

const TS = 1_700_000_000_000
const hostileJob = (overrides: Partial<JobInfo> = {}): JobInfo => ({
  repo_id: "0123456789abcdef", repo_root: HOSTILE_PATH, invocation_id: "feedbeef00112233", name: HOSTILE_NAME,
  hook: `post-checkout${ESC}[1A`, worktree: HOSTILE_PATH, command: "true", cwd: null, status: "failed", exit_code: 1,
  signal: null, pid: 1, tags: [], needs: [], background: true, queued_at: TS, started_at: TS, finished_at: TS + 36,
  duration_ms: 36, log_bytes: 10, skip_reason: null, error: `boom\n${ESC}[2J`, input_key: null, input_match: null, ...overrides
})
const ctx = { now: TS + 1000, width: 120, colour: false, home: undefined }

describe("human output: pure parts", () => {
  it("ls table: one line per job, nothing raw", () => {
    const lines = jobsTable([hostileJob(), hostileJob({ name: "ok" })], ctx)
    expect(lines).toHaveLength(3)
    for (const line of lines) expect(line).not.toMatch(RAW_CONTROL)
    expect(lines[1]).toContain("\\e[2J")
  })

  it("ls table with colour: only hookd's own colour codes", () => {
    const lines = jobsTable([hostileJob()], { ...ctx, colour: true })
    for (const line of lines) expect(line.replace(/\x1b\[\d+m/g, "")).not.toMatch(RAW_CONTROL)
  })

  it("ls --format tsv: tabs separate fields, nothing else raw", async () => {
    const [header, row] = (await renderMachineFormat([hostileJob()], "tsv")).replace(/\n$/, "").split("\n")
    expect(row.split("\t")).toHaveLength(header.split("\t").length)
    expect(row.replace(/\t/g, " ")).not.toMatch(RAW_CONTROL)
    expect(row).toContain("evil\\nrepo\\e]0;pwned\\x07")
  })

  it("status events in logs", () => {
    expect(formatStatusEvent({ event: "cancelled", by: `me${ESC}[2J\nfake line` })).toBe("[hookd] cancelled by=me\\e[2J\\nfake line")
    expect(formatStatusEvent({ event: "crashed", message: "a\rb" })).not.toMatch(RAW_CONTROL)
  })

  it("server errors: the server's message and details are escaped", () => {
    const text = describeServerError("AMBIGUOUS", `two jobs ${ESC}[2J`, { candidates: [`feedbeef:${HOSTILE_NAME}`, "a\nb"] })
    expect(text.split("\n")).toHaveLength(4)
    expect(text).not.toMatch(RAW_CONTROL)
    expect(describeServerError("CONFIG_INVALID", "x", [{ file: HOSTILE_PATH, line: 3, path: "hooks", message: `bad${ESC}` }]))
      .toBe(`${terminalSafe(HOSTILE_PATH)}:3: hooks: bad\\e`)
    expect(describeServerError("INTERNAL", `oops\n${ESC}[31m`, undefined)).toBe("oops\\n\\e[31m")
  })
})

describe("human output of the built hookctl", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-control-chars-", (ready) => ({ repo, env } = ready))
  const hookctl = (args: string[]) => runHookctl(args, { cwd: repo, env })
  const clean = (r: { stdout: string; stderr: string }) => {
    expect(r.stdout).not.toMatch(RAW_CONTROL)
    expect(r.stderr).not.toMatch(RAW_CONTROL)
  }

  it("ls", async () => {
    await serve((req) => ({
      answers: [req.req === "ListJobs" ? { kind: "Jobs", payload: { jobs: [hostileJob()] } } : { kind: "SupervisorStatus", payload: { pid: 1, uptime_ms: 1, repos: 1, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: "x" } }]
    }))
    const r = await hookctl(["ls"])
    expect(r.code).toBe(0)
    clean(r)
    expect(r.stdout.trim().split("\n")).toHaveLength(2)
  })

  it("status", async () => {
    await serve(() => ({
      answers: [{ kind: "SupervisorStatus", payload: { pid: 7, uptime_ms: 1, repos: 1, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: `1.0${ESC}]0;owned${ESC}\\\n` } }]
    }))
    const r = await hookctl(["status"])
    expect(r.code).toBe(0)
    clean(r)
    expect(r.stdout).toMatch(/version\s+1\.0\\e\]0;owned\\e\\\\n/)
  })

  it("errors from the server", async () => {
    await serve(() => ({ answers: [{ kind: "Error", payload: { code: "JOB_NOT_FOUND", message: `no job ${HOSTILE_NAME} in ${HOSTILE_PATH}` } }] }))
    const r = await hookctl(["logs", "build"])
    expect(r.code).toBe(4)
    clean(r)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("errors hookctl writes about what the user typed", async () => {
    const r = await hookctl(["logs", `bad${ESC}[2Jname`])
    expect(r.code).toBe(2)
    clean(r)
  })

  it("logs: status records, while the job's own output passes as written", async () => {
    const records: LogRecord[] = [
      { seq: 0, ts: TS, kind: "stdout", data: `${ESC}[32mgreen${ESC}[39m` },
      { seq: 1, ts: TS, kind: "status", data: { event: "cancelled", by: `x${ESC}[2J\nfake` } }
    ]
    await serve(() => ({
      answers: [
        ...records.map((record) => ({ kind: "StreamFrame" as const, payload: { record } })),
        { kind: "StreamEnd", payload: { reason: "terminal" } }
      ]
    }))
    const r = await hookctl(["logs", "build"])
    expect(r.stdout).toBe(`${ESC}[32mgreen${ESC}[39m\n`)
    expect(r.stderr).not.toMatch(RAW_CONTROL)
    expect(r.stderr).toBe("[hookd] cancelled by=x\\e[2J\\nfake\n")
  })

  it("run-hook: the job-name prefix and the status line", async () => {
    await serve(() => ({
      answers: [
        { kind: "RunAccepted", payload: { invocation_id: "feedbeef00112233", repo_id: "0123456789abcdef", jobs: [{ name: HOSTILE_NAME, status: "queued" }, { name: "b", status: "queued" }] } },
        { kind: "StreamFrame", payload: { job: HOSTILE_NAME, record: { seq: 0, ts: TS, kind: "stdout", data: "out" } } },
        { kind: "StreamFrame", payload: { job: HOSTILE_NAME, record: { seq: 1, ts: TS, kind: "status", data: { event: "finished", exit_code: 1 } } } },
        { kind: "StreamEnd", payload: { outcome: "failed" } }
      ]
    }))
    const r = await hookctl(["run-hook", "pre-commit", "--"])
    expect(r.code).toBe(1)
    clean(r)
    expect(r.stdout).toBe("[lint\\e[2J] out\n")
    expect(r.stderr).toContain("[hookd] finished exit_code=1 (lint\\e[2J)")
  })

  it("cancel, retry and shutdown name what they did", async () => {
    await serve((req) => ({
      answers: [
        req.req === "CancelJob" || req.req === "CancelAll"
          ? { kind: "Cancelled", payload: { count: 1, names: [`feedbeef:${HOSTILE_NAME}`] } }
          : req.req === "Retry"
            ? { kind: "RunAccepted", payload: { invocation_id: "feedbeef00112233", repo_id: "0123456789abcdef", jobs: [{ name: HOSTILE_NAME, status: "queued" }] } }
            : { kind: "Ack", payload: { message: `bye${ESC}[2J` } }
      ]
    }))
    for (const args of [["cancel", "--all"], ["retry", "build"], ["shutdown"]]) {
      const r = await hookctl(args)
      expect(r.code, args.join(" ")).toBe(0)
      clean(r)
    }
  })

  it("prune lists the worktrees it removed", async () => {
    await serve(() => ({
      answers: [{ kind: "Pruned", payload: { invocations: 1, jobs: 1, bytes: 10, dry_run: true, items: [{ repo_id: "0123456789abcdef", invocation_id: "feedbeef00112233", worktree: HOSTILE_PATH, jobs: 1, bytes: 10, reason: "expired" }] } }]
    }))
    const r = await hookctl(["prune", "--dry-run"])
    expect(r.code).toBe(0)
    clean(r)
    expect(r.stdout.trim().split("\n")).toHaveLength(2)
  })
})
