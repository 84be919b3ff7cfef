// The built hookctl against a scripted socket server: what it sends (SPEC §2 payloads) and how it
// turns answers into output and exit codes. Real sockets and processes; the server's answers are canned.
import { spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import type { JobInfo, LogRecord } from "../../src/protocol/types"
import { useScriptedServer, type Answer, type Script } from "./scripted-server"
import { HOOKCTL_BIN, runHookctl } from "./support"

const TS = 1_700_000_000_000
const out = (seq: number, data: string): LogRecord => ({ seq, ts: TS + seq, kind: "stdout", data })
const errRec = (seq: number, data: string): LogRecord => ({ seq, ts: TS + seq, kind: "stderr", data })
const finished = (seq: number, exit_code: number): LogRecord => ({ seq, ts: TS + seq, kind: "status", data: { event: "finished", exit_code } })
const started = (seq: number): LogRecord => ({ seq, ts: TS + seq, kind: "status", data: { event: "started", pid: 42 } })

const jobInfo = (name: string): JobInfo => ({
  repo_id: "0123456789abcdef", repo_root: "/r", invocation_id: "feedbeef00112233", name, hook: "post-checkout",
  worktree: "/r", command: "true", cwd: null, status: "completed", exit_code: 0, signal: null, pid: 1, tags: [],
  needs: [], background: true, queued_at: TS, started_at: TS, finished_at: TS + 36, duration_ms: 36, log_bytes: 10,
  skip_reason: null, error: null, input_key: null, input_match: null
})

/** A follow asks GetJob first (to explain a queued job): answer it with a running job, and TailLogs with `answers`. */
const followScript = (answers: Answer[], hold = false): Script => (req) =>
  req.req === "GetJob"
    ? { answers: [{ kind: "Job", payload: { job: { ...jobInfo("build"), status: "running", exit_code: null } } }] }
    : { answers, hold }
const tailOf = (s: { requests: ReadonlyArray<{ req: string; payload: Record<string, unknown> }> }) => s.requests.find((q) => q.req === "TailLogs")

describe("hookctl against a scripted server", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-scripted-", (ready) => ({ repo, env } = ready))
  const hookctl = (args: string[], stdin?: string) => runHookctl(args, { cwd: repo, env, stdin })

  it("ls sends ListJobs for this repo and prints the JobInfo array for --json", async () => {
    const jobs = [jobInfo("install"), jobInfo("build")]
    const s = await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs } }] }))
    const r = await hookctl(["ls", "--hook", "post-checkout", "--status", "failed", "--json"])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(jobs)
    expect(s.requests[0]).toMatchObject({ v: 1, req: "ListJobs", payload: { repo_root: repo, hook: "post-checkout", status: ["failed"] } })
    expect(typeof s.requests[0].id).toBe("string")
  })

  it("ls --failed asks for the failures no hook run reported yet first; plain ls does not", async () => {
    const s = await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: [] } }] }))
    expect((await hookctl(["ls", "--failed"])).code).toBe(0)
    expect(s.requests[0]).toMatchObject({ req: "ListJobs", payload: { status: ["failed", "timed_out", "crashed"], unnoticed_first: true } })
    expect((await hookctl(["ls", "--status", "failed"])).code).toBe(0)
    expect(s.requests.filter((q) => q.req === "ListJobs")[1]!.payload).not.toHaveProperty("unnoticed_first")
  })

  it("ls prints a table without colour when stdout is not a TTY", async () => {
    await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: [jobInfo("install")] } }] }))
    const r = await hookctl(["ls"])
    expect(r.stdout).toMatch(/^JOB\s+STATUS/)
    expect(r.stdout).toContain("feedbeef:install")
    expect(r.stdout).toContain("36ms")
    expect(r.stdout).not.toContain("\x1b[")
  })

  it("status prints the supervisor's numbers", async () => {
    await serve(() => ({
      answers: [{ kind: "SupervisorStatus", payload: { pid: 777, uptime_ms: 92_000, repos: 2, running: 1, queued: 0, connections: 1, rss_bytes: 73_400_320, version: "0.1.0" } }]
    }))
    const r = await hookctl(["status"])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/pid\s+777/)
    expect(r.stdout).toMatch(/uptime\s+1m32s/)
    expect(r.stdout).toMatch(/rss\s+70 MiB/)
    expect(r.stdout).not.toContain("containment")
  })

  it("status shows how jobs are contained when the supervisor says (issue 14 item 7), and nothing from an older one", async () => {
    await serve(() => ({
      answers: [{ kind: "SupervisorStatus", payload: { pid: 7, uptime_ms: 1, repos: 1, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: "0.1.0", containment: "process group" } }]
    }))
    expect((await hookctl(["status"])).stdout).toMatch(/^containment\s+process group$/m)
  })

  it("logs -f routes stdout/stderr/status and exits 1 when the job failed", async () => {
    const s = await serve(
      followScript([
        ...[started(0), out(1, "hello"), errRec(2, "warn: x"), finished(3, 2)].map((record) => ({ kind: "StreamFrame" as const, payload: { record } })),
        { kind: "StreamEnd", payload: { reason: "terminal" } }
      ])
    )
    const r = await hookctl(["logs", "abcd1234:build", "-f", "--since-seq", "0"])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("hello\n")
    expect(r.stderr).toBe("[hookd] started pid=42\nwarn: x\n[hookd] finished exit_code=2\n")
    expect(tailOf(s)?.payload).toEqual({ job: { repo_root: repo, invocation_prefix: "abcd1234", name: "build" }, follow: true, since_seq: 0 })
  })

  it("logs -f --stdout still asks for status records (for the exit code) but prints only stdout", async () => {
    const s = await serve(
      followScript([
        ...[out(0, "a"), finished(1, 0)].map((record) => ({ kind: "StreamFrame" as const, payload: { record } })),
        { kind: "StreamEnd", payload: { reason: "terminal" } }
      ])
    )
    const r = await hookctl(["logs", "build", "-f", "--stdout"])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("a\n")
    expect(r.stderr).toBe("")
    expect(tailOf(s)?.payload.kinds).toEqual(["stdout", "status"])
  })

  it("logs -f without a terminal record asks GetJob for the outcome", async () => {
    const s = await serve((req) =>
      req.req === "TailLogs"
        ? { answers: [{ kind: "StreamEnd", payload: { reason: "terminal" } }] }
        : { answers: [{ kind: "Job", payload: { job: { ...jobInfo("build"), status: "cancelled" } } }] }
    )
    const r = await hookctl(["logs", "build", "-f", "--since-seq", "99"])
    expect(r.code).toBe(1)
    expect(s.requests.map((q) => q.req)).toEqual(["GetJob", "TailLogs", "GetJob"])
  })

  it("logs --json prints raw records one per line", async () => {
    const records = [out(0, "a"), finished(1, 0)]
    await serve(() => ({
      answers: [...records.map((record) => ({ kind: "StreamFrame" as const, payload: { record } })), { kind: "StreamEnd", payload: { reason: "replayed" } }]
    }))
    const r = await hookctl(["logs", "build", "--json"])
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split("\n").map((l) => JSON.parse(l))).toEqual(records)
  })

  it("AMBIGUOUS → exit 4 with the candidates; JOB_NOT_FOUND → exit 4; never a stack trace", async () => {
    await serve((req) => ({
      answers: [
        req.req === "GetJob" || req.req === "TailLogs"
          ? { kind: "Error", payload: { code: "AMBIGUOUS", message: "prefix abcd is ambiguous", details: { candidates: ["abcd0001", "abcd0002"] } } }
          : { kind: "Error", payload: { code: "JOB_NOT_FOUND", message: "no job named nope" } }
      ]
    }))
    const a = await hookctl(["logs", "abcd:build"])
    expect(a.code).toBe(4)
    expect(a.stderr).toBe("hookctl: prefix abcd is ambiguous\ncandidates:\n  abcd0001\n  abcd0002\n")
    const n = await hookctl(["cancel", "nope"])
    expect(n.code).toBe(4)
    expect(n.stderr).toBe("hookctl: no job named nope\n")
  })

  it("cancel with filters sends CancelMatching; NO_MATCH exits 4", async () => {
    const s = await serve(() => ({ answers: [{ kind: "Error", payload: { code: "NO_MATCH", message: "no running job matches" } }] }))
    const r = await hookctl(["cancel", "--tag", "deps", "--older-than", "1h"])
    expect(r.code).toBe(4)
    expect(s.requests[0]).toMatchObject({ req: "CancelMatching", payload: { repo_root: repo, tag: "deps", older_than_secs: 3600 } })
  })

  it("run-hook sends the whole environment, args and stdin, prefixes output of several jobs, exits 1 on failure", async () => {
    const s = await serve(() => ({
      answers: [
        { kind: "RunAccepted", payload: { invocation_id: "feedbeef00112233", repo_id: "0123456789abcdef", jobs: [{ name: "lint", status: "queued" }, { name: "test", status: "queued" }] } },
        { kind: "StreamFrame", payload: { job: "lint", record: out(1, "ok") } },
        { kind: "StreamFrame", payload: { job: "test", record: errRec(1, "boom") } },
        { kind: "StreamFrame", payload: { job: "test", record: finished(2, 1) } },
        { kind: "StreamEnd", payload: { outcome: "failed" } }
      ]
    }))
    const r = await runHookctl(["run-hook", "pre-push", "--", "origin", "git@x:y"], {
      cwd: repo,
      env: { ...env, MY_VAR: "42" },
      stdin: "refs/heads/main abc refs/heads/main def\n"
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("[lint] ok\n")
    expect(r.stderr).toContain("[test] boom\n")
    expect(r.stderr).toContain("[hookd] finished exit_code=1 (test)")
    const payload = s.requests[0].payload
    expect(s.requests[0].req).toBe("RunJobs")
    expect(payload).toMatchObject({
      repo_root: repo,
      worktree: repo,
      hook: "pre-push",
      args: ["origin", "git@x:y"],
      stdin: "refs/heads/main abc refs/heads/main def\n",
      mode: "auto",
      wait: true
    })
    expect((payload.env as Record<string, string>).MY_VAR).toBe("42")
  })

  it("run-hook of one job prints unprefixed output and exits 0 when completed; no stdin for pre-commit", async () => {
    const s = await serve(() => ({
      answers: [
        { kind: "RunAccepted", payload: { invocation_id: "feedbeef00112233", repo_id: "0123456789abcdef", jobs: [{ name: "lint", status: "queued" }] } },
        { kind: "StreamFrame", payload: { job: "lint", record: out(1, "clean") } },
        { kind: "StreamEnd", payload: { outcome: "completed" } }
      ]
    }))
    const r = await hookctl(["run-hook", "pre-commit"], "should not be read")
    expect(r.code).toBe(0)
    expect(r.stdout).toBe("clean\n")
    expect(s.requests[0].payload.stdin).toBeUndefined()
  })

  it("run-hook --force sends HOOKD_FORCE=1 (jobs with unchanged inputs run); without it nothing is added", async () => {
    const answers = [
      { kind: "RunAccepted", payload: { invocation_id: "feedbeef00112233", repo_id: "0123456789abcdef", jobs: [] } },
      { kind: "StreamEnd", payload: { outcome: "completed" } }
    ] as const
    const s = await serve(() => ({ answers: [...answers] }))
    expect((await hookctl(["run-hook", "post-checkout", "--force", "--", "a", "b", "1"])).code).toBe(0)
    expect(s.requests[0].payload).toMatchObject({ args: ["a", "b", "1"], env: { HOOKD_FORCE: "1" } })
    expect((await hookctl(["run-hook", "post-checkout"])).code).toBe(0)
    expect((s.requests[1].payload.env as Record<string, string>).HOOKD_FORCE).toBeUndefined()
  })

  it("run-hook with an invalid config exits 1 with file:line: path: message", async () => {
    await serve(() => ({
      answers: [{ kind: "Error", payload: { code: "CONFIG_INVALID", message: "invalid", details: { file: "hookd.yml", line: 4, path: "hooks.pre-commit.jobs.0", message: "run is missing" } } }]
    }))
    const r = await hookctl(["run-hook", "pre-commit"])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      "hookctl: hookd.yml:4: hooks.pre-commit.jobs.0: run is missing\n" +
        "The pre-commit hook cannot run until the configuration is fixed; to bypass it once: git commit --no-verify (or HOOKD=0 git …)\n"
    )
  })

  it("Ctrl-C during logs -f closes the socket and exits 130", async () => {
    const s = await serve(followScript([{ kind: "StreamFrame", payload: { record: out(0, "waiting…") } }], true))
    const child = spawn(process.execPath, [HOOKCTL_BIN, "logs", "build", "-f"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] })
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    // The first record arriving proves the stream is open; then interrupt.
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    child.kill("SIGINT")
    await s.connectionClosed()
    expect(await exited).toBe(130)
  })
})
