// Fault: a full disk (issue 14 item 3). The state dir lives on a 20 MiB tmpfs and a job writes
// 40 MB: its log write fails, the job is ended (group killed) with a clear reason, Status keeps
// answering, and once space is freed the same supervisor records the job's end and runs new jobs
// — no restart. In process (test/support/harness.ts): real store, real processes, real tmpfs.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Logger, Stream } from "effect"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { JobRunner } from "../../src/jobs/runner"
import { tailJobLog } from "../../src/jobs/tail"
import { jobLogPath } from "../../src/protocol/paths"
import { RepoRegistry } from "../../src/repos/registry"
import { toProtocolError } from "../../src/supervisor/errors"
import { status } from "../../src/supervisor/handlers/status"
import { reconcileRepo } from "../../src/supervisor/reconcile"
import { makeGitRepo } from "../support/git"
import { harnessLayer, job, scratchDir, startJobs } from "../support/harness"
import { runJobs } from "../support/requests"
import { mountTmpfs, type Tmpfs } from "../support/tmpfs"
import { liveMembersOf } from "../jobs/helpers"

let disk: Tmpfs | { readonly skipped: string }
beforeAll(() => {
  disk = mountTmpfs(20)
  if ("skipped" in disk) console.warn(`fault suite, disk full: skipped — ${disk.skipped}`)
})
afterAll(() => {
  if (!("skipped" in disk)) disk.unmount()
})

const FORTY_MB = `head -c 40000000 /dev/zero | tr '\\0' x | fold -w 8000; echo wrote-it-all; sleep 300`
/** Hook arguments no full disk has room for: inserting the invocation must grow the database. */
const bigArgs = ["a".repeat(1_000_000)]

describe("fault: the state dir's disk fills up", () => {
  it.scopedLive("the writing job ends failed with the reason, Status answers throughout, and the store recovers without a restart", (ctx) =>
    Effect.gen(function* () {
      if ("skipped" in disk) return ctx.skip()
      const tmpfs = disk
      const box = yield* scratchDir()
      const repo = makeGitRepo(join(box, "repo"))
      const stateDir = join(tmpfs.dir, "state")
      const events: string[] = []
      const eventsLogger = Logger.make(({ message }) => {
        const first = Array.isArray(message) ? message[0] : message
        events.push(String(first))
      })
      yield* Effect.gen(function* () {
        const warm = yield* startJobs(repo, [job("warm", "echo hi")])
        expect((yield* Deferred.await(warm.liveJob("warm").done)).status).toBe("completed")
        // Space to free later, as an operator would (8 MiB of someone else's files).
        const reserve = join(tmpfs.dir, "reserve")
        writeFileSync(reserve, Buffer.alloc(8 * 1024 * 1024))

        const big = yield* startJobs(repo, [job("big", FORTY_MB)])
        const bigJob = big.liveJob("big")
        const failure = yield* Effect.async<Error>((resume) => bigJob.log.onWriteFailed((e) => resume(Effect.succeed(e))))
        expect((failure as NodeJS.ErrnoException).code).toBe("ENOSPC")

        // While the disk is full: Status answers, and a RunJobs that needs space fails cleanly.
        const during = yield* status
        expect(during.pid).toBe(process.pid)
        const open = yield* (yield* RepoRegistry).resolve(repo)
        const runner = yield* JobRunner
        const refused = yield* Effect.flip(runner.start(open, runJobs(repo, [job("later", "true")], { args: bigArgs }), [job("later", "true")]))
        expect(refused.message).not.toMatch(/Could not reset/)
        // Not INTERNAL: the client is told the disk is full and that hookd recovers by itself.
        const answer = toProtocolError(refused)
        expect(answer.code).toBe("REPO_UNAVAILABLE")
        expect(answer.message).toMatch(/is full \(no space left on device\): free some space .* no restart needed/)

        rmSync(reserve)
        // Space is back: the job's end gets recorded (it may have been already) and new jobs run.
        const ended = yield* Deferred.await(bigJob.done)
        expect(ended.status).toBe("failed")
        const row = yield* big.repo.store.getJob(big.invocationId, "big")
        expect(row).toMatchObject({ status: "failed", error: "log write failed: no space left on device" })
        expect(liveMembersOf(row!.pgid!)).toEqual([])
        const lines = readFileSync(jobLogPath(stateDir, big.repo.repoId, big.invocationId, "big"), "utf8").split("\n")
        expect(lines.at(-1)).toBe("")
        const records = lines.slice(0, -1).map((l) => JSON.parse(l))
        expect(records.at(-1)).toMatchObject({ kind: "status", data: { event: "crashed", message: "log write failed: no space left on device" } })
        expect(records.some((r) => r.data === "wrote-it-all")).toBe(false)
        expect((yield* big.repo.store.getInvocation(big.invocationId))?.status).toBe("failed")

        const after = yield* runner.start(open, runJobs(repo, [job("after", "echo ok")], { args: bigArgs }), [job("after", "echo ok")])
        expect((yield* Deferred.await(after.live[0]!.done)).status).toBe("completed")
        // Logged once for the job, not once per line it could not write (hookd.log, on the full
        // disk itself, may have lost it: the test reads the supervisor's log events in memory).
        expect(events.filter((e) => e === "job_log_write_failed")).toHaveLength(1)
      }).pipe(Effect.provide(Logger.add(eventsLogger)), Effect.provide(harnessLayer({ stateDir, killGraceMs: 500 })))
    }), 60_000)

  it.scopedLive("a restart finishes a job from its log when only its row was never written (no 'crashed' for a job that finished)", () =>
    Effect.gen(function* () {
      const box = yield* scratchDir()
      const repo = makeGitRepo(join(box, "repo"))
      const stateDir = join(box, "state")
      yield* Effect.gen(function* () {
        const started = yield* startJobs(repo, [job("done", "echo hi"), job("stuck", "echo waiting; sleep 300")])
        expect((yield* Deferred.await(started.liveJob("done").done)).status).toBe("completed")
        // "stuck" must have started before it is cancelled (jobs start through the spawner process,
        // so "done" ending first says nothing about it): its log then holds started, its line, cancelled.
        yield* tailJobLog({ path: jobLogPath(stateDir, started.repo.repoId, started.invocationId, "stuck"), live: started.liveJob("stuck").log, follow: true }).pipe(
          Stream.filter((r) => r.kind === "status" && (r.data as { event?: string }).event === "started"),
          Stream.runHead,
          Effect.orDie
        )
        // As after a full disk: the log says it finished, the row still says running.
        yield* started.repo.store.updateJob(started.invocationId, "done", { status: "running", exit_code: null, finished_at: null })
        yield* (yield* JobRunner).cancel(started.repo.repoId, started.invocationId, "stuck", "user")
        yield* started.repo.store.updateJob(started.invocationId, "stuck", { status: "running" })
        truncateLastLine(jobLogPath(stateDir, started.repo.repoId, started.invocationId, "stuck"))
        yield* reconcileRepo(started.repo)
        const rows = yield* started.repo.store.jobsOfInvocation(started.invocationId)
        expect(rows.map((r) => [r.name, r.status, r.exit_code])).toEqual([["done", "completed", 0], ["stuck", "crashed", null]])
        const doneLog = readFileSync(jobLogPath(stateDir, started.repo.repoId, started.invocationId, "done"), "utf8")
        expect(doneLog.match(/"kind":"status"/g)).toHaveLength(2) // started, finished: nothing appended
        // The torn piece is cut off before reconcile's record: every line is a whole record.
        const stuckLog = readFileSync(jobLogPath(stateDir, started.repo.repoId, started.invocationId, "stuck"), "utf8")
        expect(stuckLog.endsWith("\n")).toBe(true)
        const statusLines = stuckLog.trimEnd().split("\n").map((l) => JSON.parse(l)).filter((r) => r.kind === "status")
        expect(statusLines.map((r) => r.data.event)).toEqual(["started", "crashed"])
      }).pipe(Effect.provide(harnessLayer({ stateDir, killGraceMs: 500 })))
    }))
})

/** Drops a log's last record (its terminal one), leaving a torn piece of it behind. */
const truncateLastLine = (path: string) => {
  const text = readFileSync(path, "utf8")
  const lines = text.split("\n").slice(0, -2)
  writeFileSync(path, lines.join("\n") + '\n{"seq')
}
