// `concurrency` (SPEC §3) in the runner: runs of one job (repo, worktree, name) across invocations.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { JobRunner } from "../../src/jobs/runner"
import { waitForGate } from "../support/hookctl"
import { harnessLayer, job, recordsOf, sandbox, startJobs, untilLine } from "../support/harness"
import { liveMembersOf } from "./helpers"

const statusEvents = (records: ReturnType<typeof recordsOf>) => records.flatMap((r) => (r.kind === "status" ? [r.data] : []))

describe("concurrency", () => {
  it.scopedLive("replace (the background default): the older run is cancelled as superseded, its dependents skipped, and the new run starts after it is gone", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const first = yield* startJobs(box.repo, [job("install", "echo up; sleep 100"), job("build", "true", { needs: ["install"] })])
        yield* untilLine(box.stateDir, first.liveJob("install"), "up")
        const pid = (yield* first.repo.store.getJob(first.invocationId, "install"))!.pid!

        const second = yield* startJobs(box.repo, [job("install", "echo again; sleep 100")])
        expect(yield* Deferred.await(first.liveJob("install").done)).toEqual({ status: "cancelled" })
        expect(liveMembersOf(pid)).toEqual([])
        expect(yield* first.repo.store.getJob(first.invocationId, "install")).toMatchObject({
          status: "cancelled",
          error: `superseded by ${second.invocationId}`
        })
        expect(statusEvents(recordsOf(box.stateDir, first.liveJob("install"))).at(-1)).toEqual({
          event: "cancelled",
          by: "superseded",
          superseded_by: second.invocationId
        })
        expect(yield* Deferred.await(first.liveJob("build").done)).toEqual({ status: "skipped" })
        expect((yield* first.repo.store.getJob(first.invocationId, "build"))?.skip_reason).toBe("dependency install cancelled")

        yield* untilLine(box.stateDir, second.liveJob("install"), "again")
        const rows = [yield* first.repo.store.getJob(first.invocationId, "install"), yield* second.repo.store.getJob(second.invocationId, "install")]
        expect(rows[1]!.started_at).toBeGreaterThanOrEqual(rows[0]!.finished_at!)
        yield* (yield* JobRunner).cancelEverything("user")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("replace cancels a run still queued for its needs too; three quick runs leave only the newest", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runs = []
        for (let i = 0; i < 3; i++) runs.push(yield* startJobs(box.repo, [job("install", `echo run${i}; sleep 100`)]))
        const ends = yield* Effect.forEach(runs.slice(0, 2), (r) => Deferred.await(r.liveJob("install").done))
        expect(ends).toEqual([{ status: "cancelled" }, { status: "cancelled" }])
        yield* untilLine(box.stateDir, runs[2]!.liveJob("install"), "run2")
        const errors = yield* Effect.forEach(runs, (r) => Effect.map(r.repo.store.getJob(r.invocationId, "install"), (row) => row?.error))
        expect(errors).toEqual([`superseded by ${runs[1]!.invocationId}`, `superseded by ${runs[2]!.invocationId}`, null])
        expect((yield* JobRunner).liveJobs().map((j) => j.invocationId)).toEqual([runs[2]!.invocationId])
        yield* (yield* JobRunner).cancelEverything("user")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("queue: the new run waits queued until the older one ends, then runs", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const gate = join(box.dir, "gate")
        const first = yield* startJobs(box.repo, [job("sync", `echo first; ${waitForGate(gate)}`, { concurrency: "queue" })])
        yield* untilLine(box.stateDir, first.liveJob("sync"), "first")
        const second = yield* startJobs(box.repo, [job("sync", "echo second", { concurrency: "queue" })])
        expect(second.liveJob("sync").status).toBe("queued")
        writeFileSync(gate, "")
        expect(yield* Deferred.await(second.liveJob("sync").done)).toEqual({ status: "completed" })
        const [a, b] = [yield* first.repo.store.getJob(first.invocationId, "sync"), yield* second.repo.store.getJob(second.invocationId, "sync")]
        expect([a?.status, b?.status]).toEqual(["completed", "completed"])
        expect(b!.started_at).toBeGreaterThanOrEqual(a!.finished_at!)
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("skip: the new run is recorded skipped, naming the invocation already running it", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const first = yield* startJobs(box.repo, [job("watch", "echo up; sleep 100", { concurrency: "skip" })])
        yield* untilLine(box.stateDir, first.liveJob("watch"), "up")
        const second = yield* startJobs(box.repo, [job("watch", "echo second", { concurrency: "skip" }), job("after", "true", { needs: ["watch"] })])
        expect(second.jobs).toEqual([{ name: "watch", status: "skipped" }, { name: "after", status: "queued" }])
        expect((yield* second.repo.store.getJob(second.invocationId, "watch"))?.skip_reason).toBe(`already running in ${first.invocationId}`)
        expect(yield* Deferred.await(second.liveJob("after").done)).toEqual({ status: "skipped" })
        expect(first.liveJob("watch").status).toBe("running")
        yield* (yield* JobRunner).cancelEverything("user")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("parallel (the foreground default): runs of one job run side by side", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const first = yield* startJobs(box.repo, [job("lint", "echo up; sleep 100", { background: false })])
        yield* untilLine(box.stateDir, first.liveJob("lint"), "up")
        const second = yield* startJobs(box.repo, [job("lint", "echo up; sleep 100", { background: false })])
        yield* untilLine(box.stateDir, second.liveJob("lint"), "up")
        expect([first.liveJob("lint").status, second.liveJob("lint").status]).toEqual(["running", "running"])
        yield* (yield* JobRunner).cancelEverything("user")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
