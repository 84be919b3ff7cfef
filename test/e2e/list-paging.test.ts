// ListJobs never outgrows a frame (issue 13): 100,000 job rows, written through the store API,
// listed through the protocol page by page — every row once, in order, each answer far below the
// 8 MiB cap; unpaged, the same request is a clear BAD_REQUEST (not INTERNAL); hookctl ls pages by itself.
import { realpathSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { repoIdFromCommonDir } from "../../src/protocol/paths"
import { MAX_FRAME_BYTES, type JobInfo } from "../../src/protocol/types"
import { makeGitRepo } from "../support/git"
import { hookctl } from "../support/hookctl"
import { seedHistory } from "../support/seed-history"
import { makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"

const INVOCATIONS = 100
const JOBS_PER_INVOCATION = 1000
const ROWS = INVOCATIONS * JOBS_PER_INVOCATION

let sandbox: Sandbox
let hookd: RunningSupervisor
let repo: string

beforeAll(async () => {
  sandbox = makeSandbox()
  repo = makeGitRepo(join(sandbox.dir, "repo"))
  const repoId = repoIdFromCommonDir(realpathSync(join(repo, ".git")))
  await Effect.runPromise(
    seedHistory({ stateDir: sandbox.stateDir, repoId, root: repo, invocations: INVOCATIONS, jobsPerInvocation: JOBS_PER_INVOCATION, env: {} })
  )
  hookd = await startSupervisor(sandbox)
}, 300_000)

afterAll(async () => {
  await hookd?.stopCleanly()
  sandbox?.cleanup()
})

describe("ListJobs over 100,000 rows", () => {
  it("pages: every row exactly once, newest invocation first and jobs in order, each answer far below the frame cap", async () => {
    const c = await TestClient.connect(sandbox.socket)
    try {
      const seen: JobInfo[] = []
      let cursor: string | undefined
      let pages = 0
      let largest = 0
      do {
        const answer = await c.request("ListJobs", { repo_root: repo, paged: true, ...(cursor !== undefined ? { cursor } : {}) }, 60_000)
        expect(answer.kind).toBe("Jobs")
        if (answer.kind !== "Jobs") return
        largest = Math.max(largest, Buffer.byteLength(JSON.stringify(answer)))
        for (const job of answer.payload.jobs) seen.push(job)
        cursor = answer.payload.next_cursor
        pages++
      } while (cursor !== undefined)
      expect(seen.length).toBe(ROWS)
      expect(new Set(seen.map((j) => `${j.invocation_id}/${j.name}`)).size).toBe(ROWS)
      // Invocation n+1 is newer than n; its jobs job-0 … job-999 in declaration order.
      const expectedAt = (i: number) => ({
        invocation: (INVOCATIONS - Math.floor(i / JOBS_PER_INVOCATION)).toString(16).padStart(16, "0"),
        name: `job-${i % JOBS_PER_INVOCATION}`
      })
      for (const i of [0, 1, 999, 1000, 54_321, ROWS - 1]) {
        expect([seen[i].invocation_id, seen[i].name]).toEqual([expectedAt(i).invocation, expectedAt(i).name])
      }
      expect(pages).toBeGreaterThanOrEqual(ROWS / 1000)
      expect(largest).toBeLessThan(MAX_FRAME_BYTES / 4)
    } finally {
      c.close()
    }
  }, 300_000)

  it("a limit is honoured across pages, with the total counted on the first", async () => {
    const c = await TestClient.connect(sandbox.socket)
    try {
      const first = await c.request("ListJobs", { repo_root: repo, paged: true, limit: 1500 })
      expect(first.kind).toBe("Jobs")
      if (first.kind !== "Jobs") return
      expect(first.payload.total).toBe(ROWS)
      expect(first.payload.jobs.length).toBe(1000)
      const second = await c.request("ListJobs", { repo_root: repo, cursor: first.payload.next_cursor!, limit: 500 })
      if (second.kind !== "Jobs") throw new Error(JSON.stringify(second))
      expect(second.payload.jobs.map((j) => j.name)).toEqual(Array.from({ length: 500 }, (_, k) => `job-${k}`))
      expect(second.payload.jobs[0].invocation_id).toBe((INVOCATIONS - 1).toString(16).padStart(16, "0"))
    } finally {
      c.close()
    }
  }, 60_000)

  it("unpaged, the whole history is a BAD_REQUEST that says how to ask — never INTERNAL; a bad cursor is named", async () => {
    const c = await TestClient.connect(sandbox.socket)
    try {
      const answer = await c.request("ListJobs", { repo_root: repo }, 60_000)
      expect(answer.kind).toBe("Error")
      if (answer.kind !== "Error") return
      expect(answer.payload.code).toBe("BAD_REQUEST")
      expect(answer.payload.message).toMatch(/larger than one frame \(8 MiB\): pass a limit, or ask for pages \(paged: true/)
      const bad = await c.request("ListJobs", { repo_root: repo, cursor: "1.2.3" })
      expect(bad.kind === "Error" && bad.payload.code).toBe("BAD_REQUEST")
      expect(bad.kind === "Error" && bad.payload.message).toMatch(/payload\.cursor: not a cursor hookd handed out/)
      // The connection still serves.
      expect((await c.request("Status", {})).kind).toBe("SupervisorStatus")
    } finally {
      c.close()
    }
  }, 60_000)

  it("hookctl ls shows the newest 20 with the count of the rest; a limit over a page's rows is fetched in pages", async () => {
    const ls = await hookctl(sandbox, repo, ["ls"])
    expect(ls.stderr).toBe("")
    expect(ls.code).toBe(0)
    expect(ls.stdout).toContain(`… ${ROWS - 20} more (hookctl ls --limit 0 for all)`)
    const many = await hookctl(sandbox, repo, ["ls", "--limit", "2500", "--json"])
    expect(many.code).toBe(0)
    const jobs = JSON.parse(many.stdout) as JobInfo[]
    expect(jobs.length).toBe(2500)
    expect(new Set(jobs.map((j) => `${j.invocation_id}/${j.name}`)).size).toBe(2500)
    expect([jobs[2499].invocation_id, jobs[2499].name]).toEqual([(INVOCATIONS - 2).toString(16).padStart(16, "0"), "job-499"])
  }, 300_000)
})
