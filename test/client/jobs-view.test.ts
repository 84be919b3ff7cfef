// `ls` output: table fitting, columns shown only when they say something, colour, the "more" footer.
import { describe, expect, it } from "vitest"
import { jobLabel, moreFooter, reasonText, renderJobsTable, repoLabels, worktreeText, type TableContext } from "../../src/client/jobs-view"
import { fitColumns, renderTable, type Column } from "../../src/client/table"
import { queuedLine } from "../../src/client/commands/logs"
import type { JobInfo } from "../../src/protocol/types"

import { job, NOW } from "./job-info"

const ctx = (over: Partial<TableContext> = {}): TableContext => ({ now: NOW, width: 100, colour: false, home: "/home/u", ...over })
const visible = (line: string) => line.replace(/\x1b\[\d+m/g, "")

describe("the ls table", () => {
  const jobs = [
    job(),
    job({ name: "build", status: "running", exit_code: null, finished_at: null, duration_ms: null, started_at: NOW - 12_000 }),
    job({ name: "lint", status: "failed", exit_code: 2, worktree: "/home/u/src/web" })
  ]

  it("shows job, status, hook, worktree, started, duration, exit and log size", () => {
    const [header, first, second] = renderJobsTable(jobs, ctx({ width: 200 }))
    expect(header.split(/\s{2,}/)).toEqual(["JOB", "STATUS", "HOOK", "WORKTREE", "STARTED", "DURATION", "EXIT", "LOG"])
    expect(first.split(/\s{2,}/)).toEqual([
      "a1b2c3d4:install", "completed", "post-checkout", "../web-feature-branch-with-a-long-name", "3m ago", "1m32s", "0", "1.5 KiB"
    ])
    expect(second).toContain("● running")
    expect(second).toContain("12s") // a running job's duration grows
  })

  it.each([120, 100, 80, 60, 40])("fits in %i columns", (width) => {
    const lines = renderJobsTable(jobs, ctx({ width }))
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(width)
    expect(lines[1]).toContain("a1b2c3d4:install")
  })

  it("never cuts the JOB column, however long the name and narrow the terminal", () => {
    const long = job({ name: "a-very-long-job-name-that-people-still-have-to-type" })
    for (const width of [200, 120, 80, 60, 40]) {
      const lines = renderJobsTable([long, job({ worktree: "/elsewhere" })], ctx({ width }))
      expect(lines[1]).toContain("a1b2c3d4:a-very-long-job-name-that-people-still-have-to-type")
    }
  })

  it("shows '-' for times that did not happen: a queued job has no start, duration or exit", () => {
    const queued = job({ status: "queued", started_at: null, finished_at: null, duration_ms: null, exit_code: null, pid: null, log_bytes: null })
    const [, row] = renderJobsTable([queued], ctx({ width: 200 }))
    expect(row.split(/\s{2,}/)).toEqual(["a1b2c3d4:install", "queued", "post-checkout", "-", "-", "-", "-"])
  })

  it("drops the WORKTREE column when every row shares it; adds REASON only when a row has one", () => {
    const same = renderJobsTable([job(), job({ name: "b" })], ctx({ width: 200 }))
    expect(same[0]).not.toContain("WORKTREE")
    expect(same[0]).not.toContain("REASON")
    const skipped = renderJobsTable([job({ status: "skipped", skip_reason: "no files changed" }), job({ name: "b" })], ctx({ width: 200 }))
    expect(skipped[0]).toContain("REASON")
    expect(skipped[1]).toContain("no files changed")
    // REASON is the first to go when the terminal is narrow.
    expect(renderJobsTable([job({ status: "skipped", skip_reason: "no files changed" })], ctx({ width: 70 }))[0]).not.toContain("REASON")
  })

  it("a REPO column with --all-repos", () => {
    const [header, row] = renderJobsTable([job()], ctx({ width: 200, allRepos: true }))
    expect(header.split(/\s{2,}/).slice(0, 3)).toEqual(["JOB", "STATUS", "REPO"])
    expect(row).toContain("  web  ")
  })

  it("shortens the worktree (keeping its end) before dropping columns", () => {
    const lines = renderJobsTable(jobs, ctx({ width: 90 }))
    expect(lines[0]).toContain("WORKTREE")
    expect(lines[1]).toContain("…")
    expect(lines[1]).toContain("long-name")
  })

  it("drops the least important columns on a narrow terminal", () => {
    const [header] = renderJobsTable(jobs, ctx({ width: 50 }))
    expect(header).toContain("JOB")
    expect(header).toContain("STATUS")
    expect(header).not.toContain("LOG")
  })

  it("colours only when asked, without changing the visible text", () => {
    const plain = renderJobsTable(jobs, ctx())
    const coloured = renderJobsTable(jobs, ctx({ colour: true }))
    expect(plain.join("\n")).not.toContain("\x1b[")
    expect(coloured.join("\n")).toContain("\x1b[31m") // the failed job is red
    expect(coloured.map(visible)).toEqual(plain)
  })

  it("says so when there are no jobs", () => {
    expect(renderJobsTable([], ctx())).toEqual(["no jobs"])
  })

  it("says how many more jobs matched than were shown", () => {
    expect(moreFooter(20, 163)).toEqual(["… 143 more (hookctl ls --limit 0 for all)"])
    expect(moreFooter(20, 20)).toEqual([])
    expect(moreFooter(3, undefined)).toEqual([])
  })
})

describe("cells", () => {
  it.each([
    ["/r", "/r", "."],
    ["/r", "/wt", "../wt"],
    ["/home/u/src/web", "/home/u/src/web/.worktrees/x", ".worktrees/x"],
    ["/home/u/src/web", "/tmp/a/b/c/wt", "/tmp/a/b/c/wt"]
  ])("the worktree of %s at %s reads %s", (root, worktree, expected) => {
    expect(worktreeText({ repo_root: root, worktree }, "/home/u")).toBe(expected)
  })
  it("repo labels: the directory name, lengthened only where two would read the same", () => {
    const labels = repoLabels(["/home/u/work/web", "/home/u/play/web", "/home/u/src/api", "/srv/x/api/web"])
    expect(Object.fromEntries(labels)).toEqual({
      "/home/u/work/web": "work/web",
      "/home/u/play/web": "play/web",
      "/home/u/src/api": "api",
      "/srv/x/api/web": "api/web"
    })
  })
  it.each([
    [{ skip_reason: "no files matched" }, "no files matched"],
    [{ error: "spawn ENOENT" }, "spawn ENOENT"],
    [{ signal: "SIGKILL", exit_code: null }, "killed by SIGKILL"],
    [{}, ""]
  ] as Array<[Partial<JobInfo>, string]>)("reason of %j", (over, expected) => {
    expect(reasonText(job(over))).toBe(expected)
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

describe("labels", () => {
  it("labels a job as <inv8>:<name>", () => {
    expect(jobLabel(job())).toBe("a1b2c3d4:install")
  })
})

describe("logs -f of a queued job", () => {
  const queued = job({ name: "build", status: "queued", needs: ["install", "lint"], started_at: null })
  it("names the unfinished jobs it needs", () => {
    const siblings = [job({ name: "install", status: "running" }), job({ name: "lint", status: "completed" }), queued]
    expect(queuedLine(queued, siblings)).toBe("[hookd] queued (waiting for install)")
  })
  it("else it waits for a slot", () => {
    expect(queuedLine(queued, [job({ name: "install" }), job({ name: "lint" }), queued])).toBe("[hookd] queued (waiting for a slot)")
    expect(queuedLine(job({ status: "queued" }), [])).toBe("[hookd] queued (waiting for a slot)")
  })
})
