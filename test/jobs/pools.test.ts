// Foreground first (SPEC §3): waited jobs have their own slot pool, so they never queue behind
// background jobs, and each pool keeps its own bound.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { JobRunner } from "../../src/jobs/runner"
import { harnessLayer, job, sandbox, startJobs, untilLine } from "../support/harness"

describe("slot pools", () => {
  it.scopedLive("a foreground job runs while background jobs fill their pool, and the foreground pool has its own bound", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const runner = yield* JobRunner
        const background = yield* startJobs(box.repo, [job("install", "echo up; sleep 100"), job("build", "sleep 100")])
        yield* untilLine(box.stateDir, background.liveJob("install"), "up")
        expect(background.liveJob("build").status).toBe("queued")

        const foreground = yield* startJobs(box.repo, [
          job("hold", "echo held; sleep 100", { background: false }),
          job("lint", "true", { background: false })
        ])
        yield* untilLine(box.stateDir, foreground.liveJob("hold"), "held")
        // `lint` waits for the one foreground slot, not for the background jobs.
        expect(foreground.liveJob("lint").status).toBe("queued")
        expect([runner.pools.foreground.waiting(), runner.pools.background.waiting()]).toEqual([1, 1])
        yield* runner.cancel(foreground.repo.repoId, foreground.invocationId, "hold", "user")
        expect(yield* Deferred.await(foreground.liveJob("lint").done)).toEqual({ status: "completed" })

        // The background pool is still full: its queued job is still waiting.
        expect(background.liveJob("install").status).toBe("running")
        expect(background.liveJob("build").status).toBe("queued")
        yield* runner.cancelEverything("user")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir, maxParallel: 1, maxForeground: 1 })))
    }))
})
