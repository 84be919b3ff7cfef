// Shutdown and idleness of the job runner, in process (test/support/harness.ts).
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { JobRunner } from "../../src/jobs/runner"
import { Lifecycle } from "../../src/lifecycle/lifecycle"
import { RepoRegistry } from "../../src/repos/registry"
import { watchIdle } from "../../src/supervisor/idle-exit"
import { harnessLayer, job, recordsOf, sandbox, startJobs, untilLine } from "../support/harness"
import { liveMembersOf } from "./helpers"

describe("shutdown", () => {
  it.scopedLive("closing the runner cancels every job by shutdown and rolls every invocation up before the database closes", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      // The first supervisor: one running job with a dependent, one job queued behind it (one slot).
      const before = yield* Effect.gen(function* () {
        const first = yield* startJobs(box.repo, [job("server", "echo ready; sleep 100"), job("after", "true", { needs: ["server"] })])
        yield* untilLine(box.stateDir, first.liveJob("server"), "ready")
        const second = yield* startJobs(box.repo, [job("queued", "sleep 100")])
        expect(second.liveJob("queued").status).toBe("queued")
        const { pgid } = (yield* first.repo.store.getJob(first.invocationId, "server"))!
        return { first, second, pgid: pgid! }
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir, maxParallel: 1 })))

      expect(liveMembersOf(before.pgid)).toEqual([])
      // The next supervisor reads what the first one wrote as it stopped.
      yield* Effect.gen(function* () {
        const repo = yield* (yield* RepoRegistry).resolve(box.repo)
        const rows = [
          ...(yield* repo.store.jobsOfInvocation(before.first.invocationId)),
          ...(yield* repo.store.jobsOfInvocation(before.second.invocationId))
        ]
        expect(rows.map((r) => [r.name, r.status, r.error])).toEqual([
          ["server", "cancelled", "cancelled by shutdown"],
          ["after", "cancelled", "cancelled by shutdown"],
          ["queued", "cancelled", "cancelled by shutdown"]
        ])
        expect((yield* repo.store.getInvocation(before.first.invocationId))?.status).toBe("cancelled")
        expect((yield* repo.store.getInvocation(before.second.invocationId))?.status).toBe("cancelled")
        const last = recordsOf(box.stateDir, before.first.liveJob("server")).at(-1)
        expect(last).toMatchObject({ kind: "status", data: { event: "cancelled", by: "shutdown" } })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a start that arrives while draining is refused (BUSY) and leaves nothing behind", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        yield* (yield* Lifecycle).requestShutdown("test")
        const error = yield* Effect.flip(startJobs(box.repo, [job("late", "true")]))
        expect(error).toMatchObject({ _tag: "ShuttingDown" })
        const repo = yield* (yield* RepoRegistry).resolve(box.repo)
        expect(yield* repo.store.listJobs({})).toEqual([])
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})

describe("idleness", () => {
  it.scopedLive("the runner is idle exactly when no job is live, and idle exit waits for the last job", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runner = yield* JobRunner
        const lifecycle = yield* Lifecycle
        expect(runner.liveJobs()).toEqual([])
        const started = yield* startJobs(box.repo, [job("a", "echo ready; sleep 1"), job("b", "true", { needs: ["a"] })])
        expect(runner.liveJobs().map((j) => j.name)).toEqual(["a", "b"])
        yield* untilLine(box.stateDir, started.liveJob("a"), "ready")
        const watcher = yield* Effect.fork(watchIdle(100))
        const reason = yield* Deferred.await(lifecycle.shutdown)
        expect(reason).toBe("idle")
        // Shutdown was asked for only once both jobs had ended.
        expect(yield* Deferred.isDone(started.liveJob("b").done)).toBe(true)
        expect(runner.liveJobs()).toEqual([])
        yield* Fiber.join(watcher)
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
