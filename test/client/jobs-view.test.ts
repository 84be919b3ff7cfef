// `ls` output: table fitting, colour, and the script formats (json, ndjson, tsv).
import { describe, expect, it } from "vitest"
import { JOB_INFO_FIELDS, jobLabel, renderJobs, type TableContext } from "../../src/client/jobs-view"
import { fitColumns, renderTable, type Column } from "../../src/client/table"
import type { JobInfo } from "../../src/protocol/types"

const NOW = 1_700_000_000_000

const job = (over: Partial<JobInfo> = {}): JobInfo => ({
  repo_id: "0123456789abcdef",
  repo_root: "/home/u/src/web",
  invocation_id: "a1b2c3d4e5f60718",
  name: "install",
  hook: "post-checkout",
  worktree: "/home/u/src/web-feature-branch-with-a-long-name",
  command: "npm install",
  cwd: null,
  status: "completed",
  exit_code: 0,
  signal: null,
  pid: 4242,
  tags: ["deps", "slow"],
  needs: [],
  background: true,
  queued_at: NOW - 200_000,
  started_at: NOW - 180_000,
  finished_at: NOW - 88_000,
  duration_ms: 92_000,
  log_bytes: 1536,
  skip_reason: null,
  error: null,
  input_key: null,
  input_match: null,
  ...over
})

const ctx = (over: Partial<TableContext> = {}): TableContext => ({ now: NOW, width: 100, colour: false, home: "/home/u", ...over })
const visible = (line: string) => line.replace(/\x1b\[\d+m/g, "")

describe("the ls table", () => {
  const jobs = [
    job(),
    job({ name: "build", status: "running", exit_code: null, finished_at: null, duration_ms: null, started_at: NOW - 12_000 }),
    job({ name: "lint", status: "failed", exit_code: 2 })
  ]

  it("shows job, status, hook, worktree, started, duration, exit and log size", () => {
    const [header, first, second] = renderJobs(jobs, "table", ctx({ width: 200 }))
    expect(header.split(/\s{2,}/)).toEqual(["JOB", "STATUS", "HOOK", "WORKTREE", "STARTED", "DURATION", "EXIT", "LOG"])
    expect(first.split(/\s{2,}/)).toEqual([
      "a1b2c3d4:install", "completed", "post-checkout", "~/src/web-feature-branch-with-a-long-name", "3m ago", "1m32s", "0", "1.5 KiB"
    ])
    expect(second).toContain("● running")
    expect(second).toContain("12s") // a running job's duration grows
  })

  it.each([120, 100, 80, 60, 40])("fits in %i columns", (width) => {
    const lines = renderJobs(jobs, "table", ctx({ width }))
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(width)
    expect(lines[1]).toContain("a1b2c3d4")
  })

  it("shortens the worktree (keeping its end) before dropping columns", () => {
    const lines = renderJobs(jobs, "table", ctx({ width: 90 }))
    expect(lines[0]).toContain("WORKTREE")
    expect(lines[1]).toContain("…")
    expect(lines[1]).toContain("long-name")
  })

  it("drops the least important columns on a narrow terminal", () => {
    const [header] = renderJobs(jobs, "table", ctx({ width: 50 }))
    expect(header).toContain("JOB")
    expect(header).toContain("STATUS")
    expect(header).not.toContain("LOG")
  })

  it("colours only when asked, without changing the visible text", () => {
    const plain = renderJobs(jobs, "table", ctx())
    const coloured = renderJobs(jobs, "table", ctx({ colour: true }))
    expect(plain.join("\n")).not.toContain("\x1b[")
    expect(coloured.join("\n")).toContain("\x1b[31m") // the failed job is red
    expect(coloured.map(visible)).toEqual(plain)
  })

  it("says so when there are no jobs", () => {
    expect(renderJobs([], "table", ctx())).toEqual(["no jobs"])
  })
})

describe("fitColumns", () => {
  const columns: Column[] = [
    { header: "A", priority: 10 },
    { header: "B", priority: 1 },
    { header: "C", priority: 5, minWidth: 4 }
  ]
  const rows = [[{ text: "aaaa" }, { text: "bbbb" }, { text: "cccccccccc" }]]
  it("keeps natural widths when they fit", () => {
    expect(fitColumns(columns, rows, 100)).toEqual([4, 4, 10])
  })
  it("shrinks flexible columns to their minimum first", () => {
    expect(fitColumns(columns, rows, 18)).toEqual([4, 4, 6])
    expect(fitColumns(columns, rows, 16)).toEqual([4, 4, 4])
  })
  it("then drops the lowest priority column, giving the room back to shrunk columns", () => {
    expect(fitColumns(columns, rows, 11)).toEqual([4, undefined, 5])
    expect(renderTable(columns, rows, 11, false)).toEqual(["A     C", "aaaa  cccc…"])
  })
})

describe("script formats", () => {
  const jobs = [job(), job({ name: "tab\there", error: "line1\nline2", tags: [] })]
  it("--json prints the JobInfo objects exactly as received", () => {
    expect(JSON.parse(renderJobs(jobs, "json", ctx()).join("\n"))).toEqual(jobs)
  })
  it("--ndjson prints one object per line", () => {
    const lines = renderJobs(jobs, "ndjson", ctx())
    expect(lines).toHaveLength(2)
    expect(lines.map((l) => JSON.parse(l))).toEqual(jobs)
  })
  it("--tsv prints a header of JobInfo field names, then one escaped row per job", () => {
    const [header, ...rows] = renderJobs(jobs, "tsv", ctx())
    expect(header.split("\t")).toEqual(JOB_INFO_FIELDS)
    expect(JOB_INFO_FIELDS).toHaveLength(24)
    const first = Object.fromEntries(header.split("\t").map((f, i) => [f, rows[0].split("\t")[i]]))
    expect(first).toMatchObject({ name: "install", cwd: "", tags: "deps,slow", exit_code: "0", background: "true" })
    const second = rows[1].split("\t")
    expect(second).toHaveLength(24)
    expect(second[JOB_INFO_FIELDS.indexOf("name")]).toBe("tab\\there")
    expect(second[JOB_INFO_FIELDS.indexOf("error")]).toBe("line1\\nline2")
  })
  it("labels a job as <inv8>:<name>", () => {
    expect(jobLabel(job())).toBe("a1b2c3d4:install")
  })
})
