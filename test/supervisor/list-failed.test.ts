// ListJobs unnoticed_first (`hookctl ls --failed`) over the in-process supervisor: a failure no
// hook run has reported yet is listed before reported ones even when its invocation is older —
// a long job that failed after a later, quicker failure was already reported.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { listJobs } from "../../src/supervisor/handlers/jobs-query"
import { harnessLayer, job, sandbox, startJobs, untilLine } from "../support/harness"

const FAILED = ["failed", "timed_out", "crashed"]

describe("ListJobs unnoticed_first", () => {
  it.scopedLive("un-reported background failures first, then the rest newest first; the default order is unchanged", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const gate = join(box.dir, "gate")
        const long = yield* startJobs(box.repo, [job("long", `echo waiting; while [ ! -e '${gate}' ]; do sleep 0.02; done; exit 2`)])
        yield* untilLine(box.stateDir, long.liveJob("long"), "waiting")
        const quick = yield* startJobs(box.repo, [job("quick", "exit 1")])
        expect(yield* Deferred.await(quick.liveJob("quick").done)).toEqual({ status: "failed" })
        // A hook run reports the failures pending now: only quick.
        expect((yield* quick.repo.store.takeFailureNotices(Date.now())).map((n) => n.name)).toEqual(["quick"])
        writeFileSync(gate, "")
        expect(yield* Deferred.await(long.liveJob("long").done)).toEqual({ status: "failed" })

        const names = (answer: { jobs: ReadonlyArray<{ name: string }> }) => answer.jobs.map((j) => j.name)
        const failed = yield* listJobs({ repo_root: box.repo, status: FAILED, unnoticed_first: true })
        expect(names(failed)).toEqual(["long", "quick"])
        expect(failed.jobs.map((j) => j.notified_at === null)).toEqual([true, false])
        expect(names(yield* listJobs({ repo_root: box.repo, status: FAILED }))).toEqual(["quick", "long"])
        // Across repositories (--all-repos) the same order holds.
        expect(names(yield* listJobs({ all_repos: true, status: FAILED, unnoticed_first: true, limit: 1 }))).toEqual(["long"])
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
