// TailLogs: push-based follow with no gap and no duplicate, since_seq resume, replay of finished jobs.
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import type { LogRecord } from "../../src/protocol/types"
import { TestClient, type Sandbox } from "../support/supervisor"
import { awaitStarted, follow, job, runJobs, start, useSupervisedRepo } from "./helpers"

let sandbox: Sandbox
let repo: string

useSupervisedRepo({}, (started) => ({ sandbox, repo } = started))

const seqs = (records: ReadonlyArray<LogRecord>) => records.map((r) => r.seq)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe("TailLogs", () => {
  it("a follower attached mid-run sees every record exactly once in seq order and ends after the terminal record", async () => {
    const gate = join(sandbox.dir, "gate")
    // Prints 50 lines, waits for the gate file, prints 50 more: the follower attaches in between.
    const script = `for i in $(seq 1 50); do echo a$i; done; while [ ! -f ${gate} ]; do sleep 0.05; done; for i in $(seq 1 50); do echo b$i; done`
    const inv = await start(sandbox.socket, runJobs(repo, [job("chatty", script)]))
    await awaitStarted(sandbox.socket, repo, inv, "chatty")
    const c = await TestClient.connect(sandbox.socket)
    c.send("TailLogs", { job: { repo_root: repo, name: "chatty" }, follow: true })
    const first = await c.next()
    expect(first.kind).toBe("StreamFrame")
    const { writeFileSync } = await import("node:fs")
    writeFileSync(gate, "")
    const frames = [first, ...(await c.collect())]
    c.close()
    const end = frames[frames.length - 1]
    const records = frames.slice(0, -1).map((f) => (f.payload as { record: LogRecord }).record)
    expect(end).toMatchObject({ kind: "StreamEnd", payload: { reason: "terminal" } })
    // A record carries what one pipe read delivered, one or more lines (log format 2): seqs are
    // consecutive, and the lines they carry are every line once, in order.
    expect(seqs(records)).toEqual(range(0, records.length - 1))
    expect(records.flatMap((r) => (r.kind === "stdout" ? r.data.split("\n") : []))).toEqual([
      ...range(1, 50).map((i) => `a${i}`),
      ...range(1, 50).map((i) => `b${i}`)
    ])
    expect(records[records.length - 1]).toMatchObject({ kind: "status", data: { event: "finished", exit_code: 0 } })
  })

  it("output relayed by the spawner, then read from its handed-over pipes: followed and replayed, every line once in order on both streams", async () => {
    const gate = join(sandbox.dir, "gate-both")
    // A few lines (relayed by the spawner helper), the gate, then 20,000 lines on each stream at
    // once: far past what the helper relays before it hands the job's pipes to the supervisor.
    const script = `echo a1; echo e1 >&2; while [ ! -f ${gate} ]; do sleep 0.05; done; seq 2 20001 >&2 & seq 2 20001; wait`
    const inv = await start(sandbox.socket, runJobs(repo, [job("both", script)]))
    await awaitStarted(sandbox.socket, repo, inv, "both")
    const c = await TestClient.connect(sandbox.socket)
    c.send("TailLogs", { job: { repo_root: repo, name: "both" }, follow: true })
    const first = await c.next()
    const { writeFileSync } = await import("node:fs")
    writeFileSync(gate, "")
    const frames = [first, ...(await c.collect())]
    c.close()
    const followed = frames.filter((f) => f.kind === "StreamFrame").map((f) => (f.payload as { record: LogRecord }).record)
    expect(frames[frames.length - 1]).toMatchObject({ kind: "StreamEnd", payload: { reason: "terminal" } })
    expect(seqs(followed)).toEqual(range(0, followed.length - 1))
    const linesOf = (records: ReadonlyArray<LogRecord>, kind: "stdout" | "stderr") =>
      records.flatMap((r) => (r.kind === kind ? r.data.split("\n") : []))
    expect(linesOf(followed, "stdout")).toEqual(["a1", ...range(2, 20001).map(String)])
    expect(linesOf(followed, "stderr")).toEqual(["e1", ...range(2, 20001).map(String)])
    const replayed = await follow(sandbox.socket, repo, inv, "both", { follow: false })
    expect(replayed.records).toEqual(followed)
  })

  it("since_seq resumes without duplicates", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("count", "seq 1 10")]))
    const all = await follow(sandbox.socket, repo, inv, "count")
    const resumed = await follow(sandbox.socket, repo, inv, "count", { since_seq: 5 })
    expect(seqs(resumed.records)).toEqual(seqs(all.records).filter((s) => s >= 5))
    expect(resumed.records).toEqual(all.records.filter((r) => r.seq >= 5))
  })

  it("a tail of a finished job replays and ends, with or without follow", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("done", "echo x")]))
    const followed = await follow(sandbox.socket, repo, inv, "done")
    const replay = await follow(sandbox.socket, repo, inv, "done", { follow: false })
    expect(replay.records).toEqual(followed.records)
    expect(replay.end).toMatchObject({ kind: "StreamEnd", payload: { reason: "terminal" } })
  })

  it("kinds filters the records", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("mixed", "echo o; echo e >&2")]))
    const { records } = await follow(sandbox.socket, repo, inv, "mixed", { kinds: ["stderr"] })
    expect(records.map((r) => [r.kind, r.data])).toEqual([["stderr", "e"]])
  })

  it("a tail of an unknown job is JOB_NOT_FOUND", async () => {
    const c = await TestClient.connect(sandbox.socket)
    c.send("TailLogs", { job: { repo_root: repo, name: "ghost" }, follow: true })
    expect(await c.next()).toMatchObject({ kind: "Error", payload: { code: "JOB_NOT_FOUND" } })
    c.close()
  })
})

describe("TailLogs of a log that cannot be read", () => {
  it("answers an error instead of leaving the client waiting", async () => {
    const { readdirSync, rmSync, mkdirSync } = await import("node:fs")
    const { jobLogPath } = await import("../../src/protocol/paths")
    const inv = await start(sandbox.socket, runJobs(repo, [job("spoilt", "echo x")]))
    await follow(sandbox.socket, repo, inv, "spoilt")
    // The log file becomes a directory: reading it fails with EISDIR (root ignores permission bits).
    const [repoId] = readdirSync(join(sandbox.stateDir, "repos"))
    const path = jobLogPath(sandbox.stateDir, repoId!, inv, "spoilt")
    rmSync(path)
    mkdirSync(path)
    for (const follows of [false, true]) {
      const c = await TestClient.connect(sandbox.socket)
      c.send("TailLogs", { job: { repo_root: repo, name: "spoilt" }, follow: follows })
      const answer = await c.next()
      c.close()
      expect(answer).toMatchObject({ kind: "Error", payload: { code: "REPO_UNAVAILABLE" } })
      expect((answer.payload as { message: string }).message).toContain(`cannot read job log ${path}`)
    }
  })
})
