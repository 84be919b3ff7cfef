// `hookctl ls` as a person sees it, at COLUMNS=60, 80, 120 and 200 and with --all-repos: golden files
// (test/client/golden/). Whatever the width, the full JOB address (`inv8:name`) is on every row.
import { join } from "node:path"
import { beforeEach, describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { useScriptedServer } from "./scripted-server"
import { runHookctl } from "./support"

const GOLDEN = join(__dirname, "golden")
const MAIN = "/home/u/src/web"
const LINKED = "/home/u/src/web-feature-with-a-rather-long-branch-name"

/** Jobs whose times are minutes before `now`, so relative times ("3m ago") read the same on every run, even a slow one. */
const jobs = (now: number): JobInfo[] => {
  const base = (over: Partial<JobInfo>): JobInfo => ({
    repo_id: "0123456789abcdef", repo_root: MAIN, invocation_id: "a1b2c3d4e5f60718", name: "x", hook: "post-checkout",
    worktree: MAIN, command: "true", cwd: null, status: "completed", exit_code: 0, signal: null, pid: 1, tags: [], needs: [],
    background: true, queued_at: now - 200_000, started_at: now - 180_000, finished_at: now - 88_000, duration_ms: 92_000,
    log_bytes: 1536, skip_reason: null, error: null, input_key: null, input_match: null, ...over
  })
  return [
    base({ name: "install-dependencies-for-every-workspace" }),
    base({ name: "typecheck", worktree: LINKED, status: "running", exit_code: null, finished_at: null, duration_ms: 300_000, started_at: now - 300_000, log_bytes: 420 }),
    base({ name: "build-storybook", worktree: LINKED, status: "queued", needs: ["install-dependencies-for-every-workspace"], exit_code: null, started_at: null, finished_at: null, duration_ms: null, log_bytes: null, pid: null }),
    base({ invocation_id: "0f0e0d0c0b0a0908", hook: "pre-commit", name: "lint", status: "failed", exit_code: 2, duration_ms: 4_100, log_bytes: 88_000 }),
    base({ invocation_id: "0f0e0d0c0b0a0908", hook: "pre-commit", name: "format", status: "skipped", skip_reason: "no staged file matches *.{ts,tsx}", exit_code: null, started_at: null, finished_at: null, duration_ms: null, log_bytes: 0, pid: null }),
    base({ invocation_id: "0f0e0d0c0b0a0908", hook: "pre-commit", name: "e2e", status: "cancelled", exit_code: null, signal: "SIGTERM", duration_ms: 61_000 })
  ]
}

const otherRepos = (now: number): JobInfo[] =>
  jobs(now).slice(0, 2).flatMap((j, i) => [
    { ...j, repo_id: "1111111111111111", repo_root: "/home/u/work/api", worktree: "/home/u/work/api", invocation_id: `1111111${i}e5f60718` },
    { ...j, repo_id: "2222222222222222", repo_root: "/home/u/play/api", worktree: "/home/u/play/api", invocation_id: `2222222${i}e5f60718` }
  ])

describe("hookctl ls, as a table", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-golden-", (ready) => ({ repo, env } = ready))
  let listed: (now: number) => JobInfo[] = jobs
  beforeEach(async () => {
    listed = jobs
    await serve((req) =>
      req.req === "ListJobs"
        ? { answers: [{ kind: "Jobs", payload: { jobs: listed(Date.now()), total: 163 } }] }
        : { answers: [{ kind: "SupervisorStatus", payload: { pid: 1, uptime_ms: 1, repos: 1, running: 1, queued: 1, connections: 1, rss_bytes: 1, version: "0" } }] }
    )
  })
  const ls = async (columns: number, ...args: string[]) => {
    const r = await runHookctl(["ls", ...args], { cwd: repo, env: { ...env, COLUMNS: String(columns) } })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    return r.stdout
  }

  it.each([60, 80, 120, 200])("at COLUMNS=%i: fits, never cuts a JOB address, says how many more", async (columns) => {
    const out = await ls(columns)
    const lines = out.trimEnd().split("\n")
    for (const job of jobs(0)) expect(out).toContain(`${job.invocation_id.slice(0, 8)}:${job.name}`)
    // Only a JOB address longer than the terminal may overflow it.
    for (const line of lines) if (line.length > columns) expect(line).toMatch(/^\S+:install-dependencies-for-every-workspace/)
    expect(lines[lines.length - 1]).toBe("… 157 more (hookctl ls --limit 0 for all)")
    await expect(out).toMatchFileSnapshot(join(GOLDEN, `ls-${columns}.txt`))
  })

  it("--all-repos adds a REPO column naming each repository apart", async () => {
    listed = (now) => [...jobs(now), ...otherRepos(now)]
    for (const columns of [80, 120]) {
      const out = await ls(columns, "--all-repos")
      expect(out.split("\n")[0]).toMatch(/^JOB\s+STATUS\s+REPO\s/)
      for (const label of ["work/api", "play/api"]) expect(out).toContain(` ${label} `)
      await expect(out).toMatchFileSnapshot(join(GOLDEN, `ls-all-repos-${columns}.txt`))
    }
  })
})
