// run-hook's summary block from the answer stream (issue 13: a waited hook's time): the jobs in
// StreamEnd are printed without another request; an older supervisor's StreamEnd has none, and
// the hook then asks with one ListJobs of its invocation, as before.
import { describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { job } from "./job-info"
import { type Answer, useScriptedServer } from "./scripted-server"
import { runHookctl } from "./support"

const INVOCATION = "feedbeef00112233"
const accepted: Answer = {
  kind: "RunAccepted",
  payload: { invocation_id: INVOCATION, repo_id: "0123456789abcdef", jobs: [{ name: "lint", status: "queued" }, { name: "types", status: "queued" }] }
}
const ENDED: JobInfo[] = [
  job({ invocation_id: INVOCATION, name: "lint", background: false, status: "completed", duration_ms: 12 }),
  job({ invocation_id: INVOCATION, name: "types", background: false, status: "failed", exit_code: 2, duration_ms: 30 })
]
const SUMMARY = [
  "hookd: pre-commit summary",
  "  ok   lint     12ms",
  `  FAIL types    30ms  exit 2 — hookctl logs ${INVOCATION.slice(0, 8)}:types`,
  "hookd: pre-commit failed — to go on anyway: git commit --no-verify (or HOOKD=0 git …)"
]

describe("run-hook's summary", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-run-hook-summary-", (ready) => ({ repo, env } = ready))

  const summaryOf = (stderr: string): string[] => {
    const lines = stderr.trimEnd().split("\n")
    return lines.slice(lines.indexOf("hookd: pre-commit summary"))
  }

  it("comes from the jobs in StreamEnd: RunJobs is the only request", async () => {
    const s = await serve(() => ({ answers: [accepted, { kind: "StreamEnd", payload: { outcome: "failed", jobs: ENDED } }] }))
    const r = await runHookctl(["run-hook", "pre-commit"], { cwd: repo, env })
    expect(r.code).toBe(1)
    expect(summaryOf(r.stderr)).toEqual(SUMMARY)
    expect(s.requests.map((q) => q.req)).toEqual(["RunJobs"])
  })

  it("from an older supervisor (no jobs in StreamEnd) is asked for with one ListJobs of the invocation", async () => {
    const s = await serve((request) =>
      request.req === "ListJobs"
        ? { answers: [{ kind: "Jobs", payload: { jobs: [...ENDED].reverse() } }] }
        : { answers: [accepted, { kind: "StreamEnd", payload: { outcome: "failed" } }] }
    )
    const r = await runHookctl(["run-hook", "pre-commit"], { cwd: repo, env })
    expect(r.code).toBe(1)
    expect(summaryOf(r.stderr)).toEqual(SUMMARY)
    expect(s.requests.map((q) => q.req)).toEqual(["RunJobs", "ListJobs"])
    expect(s.requests[1].payload).toMatchObject({ repo_root: repo, invocation_prefix: INVOCATION })
  })
})
