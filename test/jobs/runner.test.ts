// The job runner in process (test/support/harness.ts): real store, real child processes, no socket.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { existsSync, statSync } from "node:fs"
import { join } from "node:path"
import type { CachedJobSpec } from "../../src/domain/input-cache"
import { recordsOfRow } from "../../src/domain/row-records"
import { JobRunner } from "../../src/jobs/runner"
import { SignalGroup } from "../../src/jobs/process-group"
import { jobLogPath } from "../../src/protocol/paths"
import { cancelJob } from "../../src/supervisor/handlers/cancel"
import { harnessLayer, job, recordsOf, sandbox, startJobs, untilLine } from "../support/harness"
import { liveMembersOf } from "./helpers"

const statusEvents = (records: ReturnType<typeof recordsOf>) => records.flatMap((r) => (r.kind === "status" ? [r.data] : []))

describe("needs", () => {
  it.scopedLive("a job starts only after the jobs it needs completed; a failure skips its dependents transitively", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const marker = join(box.dir, "first-done")
        const started = yield* startJobs(box.repo, [
          job("second", `test -f ${marker}`, { needs: ["first"] }),
          job("first", `touch ${marker}`),
          job("broken", "exit 3"),
          job("after-broken", "true", { needs: ["broken"] }),
          job("after-after", "true", { needs: ["after-broken", "first"] })
        ])
        const ended = yield* Effect.forEach(started.live, (j) => Effect.map(Deferred.await(j.done), (e) => [j.name, e.status]))
        expect(Object.fromEntries(ended)).toEqual({
          second: "completed",
          first: "completed",
          broken: "failed",
          "after-broken": "skipped",
          "after-after": "skipped"
        })
        const rows = yield* started.repo.store.jobsOfInvocation(started.invocationId)
        const row = (name: string) => rows.find((r) => r.name === name)!
        expect(row("second").started_at).toBeGreaterThanOrEqual(row("first").finished_at!)
        expect(row("after-broken")).toMatchObject({ skip_reason: "dependency broken failed", pid: null })
        expect(row("after-after")).toMatchObject({ skip_reason: "dependency after-broken skipped", pid: null })
        expect(statusEvents(recordsOf(box.stateDir, started.liveJob("after-after")))).toEqual([
          { event: "skipped", reason: "dependency after-broken skipped" }
        ])
        // Every row records the size of its log (retention counts it); a job that wrote nothing has none (issue 13).
        for (const r of rows) {
          const path = jobLogPath(box.stateDir, started.repo.repoId, started.invocationId, r.name)
          expect(r.log_bytes).toBe(existsSync(path) ? statSync(path).size : 0)
        }
        expect(existsSync(jobLogPath(box.stateDir, started.repo.repoId, started.invocationId, "after-after"))).toBe(false)
        expect((yield* started.repo.store.getInvocation(started.invocationId))?.status).toBe("failed")
        expect((yield* JobRunner).liveJobs()).toEqual([])
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a job skipped by a condition is not started, and its dependents are skipped", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const started = yield* startJobs(box.repo, [job("lint", "true", { skip_reason: "no staged files" }), job("after", "true", { needs: ["lint"] })])
        expect(started.jobs).toEqual([{ name: "lint", status: "skipped" }, { name: "after", status: "queued" }])
        expect(started.live.map((j) => j.name)).toEqual(["after"])
        expect(yield* Deferred.await(started.liveJob("after").done)).toEqual({ status: "skipped" })
        const lint = yield* started.repo.store.getJob(started.invocationId, "lint")
        expect(lint).toMatchObject({ status: "skipped", skip_reason: "no staged files" })
        // Its one record is what its row says (issue 13: no file): readers make it from the row.
        expect(lint!.log_bytes).toBe(0)
        expect(existsSync(jobLogPath(box.stateDir, started.repo.repoId, started.invocationId, "lint"))).toBe(false)
        expect(recordsOfRow(lint!)).toEqual([{ seq: 0, ts: lint!.finished_at, kind: "status", data: { event: "skipped", reason: "no staged files" } }])
        expect((yield* started.repo.store.getInvocation(started.invocationId))?.status).toBe("completed")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})

describe("a job log that cannot be created", () => {
  it.scopedLive("is created at the first output: that job fails naming the log and the reason; silent jobs run", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        // A name longer than NAME_MAX: its log directory cannot be made. Logs are lazy (issue 13):
        // the silent job never needs its log; the one that writes fails at its first output.
        const long = "x".repeat(300)
        const loud = "y".repeat(300)
        const started = yield* startJobs(box.repo, [job("first", "touch ran"), job(long, "true"), job(loud, "echo hello")])
        const ended = yield* Effect.forEach(started.live, (j) => Effect.map(Deferred.await(j.done), (e) => [j.name, e.status] as const))
        expect(ended).toEqual([["first", "completed"], [long, "completed"], [loud, "failed"]])
        const rows = yield* started.repo.store.jobsOfInvocation(started.invocationId)
        const failed = rows.find((r) => r.name === loud)!
        expect(failed.error).toMatch(/^log write failed: .*ENAMETOOLONG/)
        expect((yield* started.repo.store.getInvocation(started.invocationId))?.status).toBe("failed")
        // Its records, which could not reach a file, are what readers are given.
        expect(statusEvents(recordsOf(box.stateDir, started.liveJob(loud))).map((e) => e.event)).toEqual(["started", "crashed"])
        expect(existsSync(join(box.repo, "ran"))).toBe(true)
        expect((yield* JobRunner).liveJobs()).toEqual([])
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})

describe("a job skipped as unchanged (inputs:)", () => {
  it.scopedLive("is not started, its row records the key and the matched run, and its dependents run", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const marker = join(box.dir, "install-ran")
        const install: CachedJobSpec = {
          ...job("install", `touch ${marker}`),
          skip_reason: "inputs unchanged since 8b31c0ff:install (3m ago)",
          input_key: "k".repeat(64),
          input_match: "8b31c0ffee000001"
        }
        const started = yield* startJobs(box.repo, [install, job("build", "true", { needs: ["install"] }), job("test", "true", { needs: ["build"] })])
        expect(started.jobs).toEqual([
          { name: "install", status: "skipped" },
          { name: "build", status: "queued" },
          { name: "test", status: "queued" }
        ])
        expect(yield* Deferred.await(started.liveJob("test").done)).toEqual({ status: "completed" })
        expect(existsSync(marker)).toBe(false)
        const rows = yield* started.repo.store.jobsOfInvocation(started.invocationId)
        expect(rows.map((r) => [r.name, r.status, r.input_key, r.input_match])).toEqual([
          ["install", "skipped", "k".repeat(64), "8b31c0ffee000001"],
          ["build", "completed", null, null],
          ["test", "completed", null, null]
        ])
        expect(rows[0]).toMatchObject({ pid: null, started_at: null })
        expect((yield* started.repo.store.getInvocation(started.invocationId))?.status).toBe("completed")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})

describe("cancel", () => {
  it.scopedLive("a running job: its whole group is dead and its row cancelled before cancel returns", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runner = yield* JobRunner
        const started = yield* startJobs(box.repo, [job("server", "sleep 100 & echo ready; wait")])
        const server = started.liveJob("server")
        yield* untilLine(box.stateDir, server, "ready")
        expect(server.status).toBe("running")
        const { pgid } = (yield* started.repo.store.getJob(started.invocationId, "server"))!
        expect(liveMembersOf(pgid!).length).toBeGreaterThan(0)

        expect(yield* runner.cancel(started.repo.repoId, started.invocationId, "server", "user")).toEqual({ wasLive: true })
        expect(liveMembersOf(pgid!)).toEqual([])
        const row = yield* started.repo.store.getJob(started.invocationId, "server")
        expect(row).toMatchObject({ status: "cancelled", error: "cancelled by user" })
        const records = recordsOf(box.stateDir, server)
        expect(statusEvents(records).at(-1)).toEqual({ event: "cancelled", by: "user" })
        expect(row!.log_bytes).toBe(statSync(jobLogPath(box.stateDir, server.repoId, server.invocationId, "server")).size)
        expect(runner.live(started.repo.repoId, started.invocationId, "server")).toBeUndefined()
        // A second cancel finds nothing live.
        expect(yield* runner.cancel(started.repo.repoId, started.invocationId, "server", "user")).toEqual({ wasLive: false })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a queued job that never got a slot ends cancelled without ever starting", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runner = yield* JobRunner
        const marker = join(box.dir, "ran")
        const holder = yield* startJobs(box.repo, [job("holder", "echo ready; sleep 100")])
        yield* untilLine(box.stateDir, holder.liveJob("holder"), "ready")
        const waiting = yield* startJobs(box.repo, [job("waiting", `touch ${marker}`)])
        expect(waiting.liveJob("waiting").status).toBe("queued")

        expect(yield* runner.cancel(waiting.repo.repoId, waiting.invocationId, "waiting", "user")).toEqual({ wasLive: true })
        expect(yield* waiting.repo.store.getJob(waiting.invocationId, "waiting")).toMatchObject({
          status: "cancelled",
          pid: null,
          started_at: null
        })
        expect(statusEvents(recordsOf(box.stateDir, waiting.liveJob("waiting")))).toEqual([{ event: "cancelled", by: "user" }])
        expect((yield* waiting.repo.store.getInvocation(waiting.invocationId))?.status).toBe("cancelled")
        // The slot holder is untouched, and the cancelled job's slot wait left the queue.
        expect(holder.liveJob("holder").status).toBe("running")
        yield* runner.cancel(holder.repo.repoId, holder.invocationId, "holder", "user")
        expect(existsSync(marker)).toBe(false)
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir, maxParallel: 1 })))
    }))

  it.scopedLive("a job cancelled before its fiber first ran is finalized (row, record, invocation)", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runner = yield* JobRunner
        // No yield between start and cancel: the job's fiber has not had a turn yet.
        const started = yield* startJobs(box.repo, [job("never", "echo ran"), job("dependent", "true", { needs: ["never"] })])
        const result = yield* runner.cancel(started.repo.repoId, started.invocationId, "never", "user")
        expect(result).toEqual({ wasLive: true })
        expect(yield* Deferred.await(started.liveJob("dependent").done)).toEqual({ status: "skipped" })
        const rows = yield* started.repo.store.jobsOfInvocation(started.invocationId)
        expect(rows.map((r) => [r.name, r.status, r.pid])).toEqual([["never", "cancelled", null], ["dependent", "skipped", null]])
        expect(recordsOf(box.stateDir, started.liveJob("never")).map((r) => r.data)).toEqual([{ event: "cancelled", by: "user" }])
        expect((yield* started.repo.store.getInvocation(started.invocationId))?.status).toBe("cancelled")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a job that ends on its own as the cancel arrives is not counted as cancelled", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runner = yield* JobRunner
        // The job exits right after its line: the cancel races its natural end. Whichever wins,
        // the answer and the row agree.
        for (let i = 0; i < 10; i++) {
          const started = yield* startJobs(box.repo, [job("quick", "echo bye")])
          const quick = started.liveJob("quick")
          yield* untilLine(box.stateDir, quick, "bye")
          const result = yield* runner.cancel(started.repo.repoId, started.invocationId, "quick", "user")
          const row = yield* started.repo.store.getJob(started.invocationId, "quick")
          expect(row!.status).toBe(result.wasLive ? "cancelled" : "completed")
          expect(statusEvents(recordsOf(box.stateDir, quick)).at(-1)).toEqual(
            result.wasLive ? { event: "cancelled", by: "user" } : { event: "finished", exit_code: 0 }
          )
        }
        // Deterministically late: the job has ended and been finalized.
        const started = yield* startJobs(box.repo, [job("done", "true")])
        yield* Deferred.await(started.liveJob("done").done)
        expect(yield* started.liveJob("done").cancel("user")).toEqual({ status: "completed" })
        expect(yield* runner.cancel(started.repo.repoId, started.invocationId, "done", "user")).toEqual({ wasLive: false })
        expect((yield* started.repo.store.getJob(started.invocationId, "done"))!.status).toBe("completed")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("CancelJob answers KILL_FAILED (pgid, errno) when the group cannot be signalled; the row says why", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      let refusedPgid: number | undefined
      // Root may signal every group, so the kernel's EPERM is stood in for, for this group only.
      const refuse = (pgid: number, signal: NodeJS.Signals) => {
        if (pgid === refusedPgid) throw Object.assign(new Error(`kill EPERM`), { code: "EPERM" })
        process.kill(-pgid, signal)
      }
      yield* Effect.gen(function* () {
        const started = yield* startJobs(box.repo, [job("stuck", "echo ready; sleep 100")])
        yield* untilLine(box.stateDir, started.liveJob("stuck"), "ready")
        const row = yield* started.repo.store.getJob(started.invocationId, "stuck")
        refusedPgid = row!.pgid!
        yield* Effect.addFinalizer(() => Effect.sync(() => process.kill(-refusedPgid!, "SIGKILL")))

        const error = yield* Effect.flip(cancelJob({ job: { repo_root: box.repo, invocation_prefix: started.invocationId, name: "stuck" } }))
        expect(error).toMatchObject({ _tag: "KillFailed", pgid: refusedPgid, errno: "EPERM" })
        expect(error.message).toMatch(/stuck: cannot send SIGTERM to process group \d+: kill EPERM/)
        expect(yield* started.repo.store.getJob(started.invocationId, "stuck")).toMatchObject({
          status: "cancelled",
          error: expect.stringMatching(/^cancelled by user; kill failed: cannot send SIGTERM/)
        })
        // The group really is still there: the answer did not pretend otherwise.
        expect(liveMembersOf(refusedPgid).length).toBeGreaterThan(0)
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })), Effect.provideService(SignalGroup, refuse))
    }))
})
