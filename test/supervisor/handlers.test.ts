// Request handlers against the in-process supervisor (test/support/harness.ts): real store and
// processes, no socket. The wire itself is covered by the black-box tests in test/e2e.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { JobRunner } from "../../src/jobs/runner"
import { cancelAll, cancelMatching, jobLabel } from "../../src/supervisor/handlers/cancel"
import { getJob } from "../../src/supervisor/handlers/jobs-query"
import { startRun } from "../../src/supervisor/handlers/run-jobs"
import { status } from "../../src/supervisor/handlers/status"
import { toProtocolError } from "../../src/supervisor/errors"
import { harnessLayer, job, sandbox, startJobs, untilLine } from "../support/harness"
import { runJobs } from "../support/requests"

describe("Status, CancelMatching and CancelAll over live jobs", () => {
  it.scopedLive("count running and queued jobs, cancel by tag, then everything in the repo", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const started = yield* startJobs(box.repo, [
          job("web", "echo ready; sleep 100", { tags: ["server"] }),
          job("db", "sleep 100", { tags: ["server"] }),
          job("lint", "echo ready; sleep 100", { tags: ["check"] })
        ])
        yield* untilLine(box.stateDir, started.liveJob("web"), "ready")
        expect(yield* status).toMatchObject({ running: 1, queued: 2 })
        // Live facts: GetJob reports the bytes written so far, before the row has them.
        expect((yield* getJob({ job: { repo_root: box.repo, name: "web" } })).log_bytes).toBe(started.liveJob("web").log.bytes)

        const byTag = yield* cancelMatching({ repo_root: box.repo, tag: "server" })
        expect(byTag).toEqual({ count: 2, names: [jobLabel(started.invocationId, "web"), jobLabel(started.invocationId, "db")] })
        // The freed slot goes to the job still queued.
        yield* untilLine(box.stateDir, started.liveJob("lint"), "ready")
        expect(yield* status).toMatchObject({ running: 1, queued: 0 })
        const none = yield* Effect.flip(cancelMatching({ repo_root: box.repo, tag: "server" }))
        expect(toProtocolError(none)).toEqual({ code: "NO_MATCH", message: "no running or queued job matches" })

        expect(yield* cancelAll({ repo_root: box.repo })).toEqual({ count: 1, names: [jobLabel(started.invocationId, "lint")] })
        expect((yield* JobRunner).liveJobs()).toEqual([])
        const rows = yield* started.repo.store.jobsOfInvocation(started.invocationId)
        expect(rows.map((r) => [r.name, r.status])).toEqual([["web", "cancelled"], ["db", "cancelled"], ["lint", "cancelled"]])
        expect(yield* cancelAll({})).toEqual({ count: 0, names: [] })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir, maxParallel: 1 })))
    }))
})

describe("RunJobs and the repository's retention policy", () => {
  it.scopedLive("writes the policy when the config gives a new one, not again while it is the same", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const config = (keepLast: number) =>
          writeFileSync(join(box.repo, "hookd.yml"), `log:\n  keep_last: ${keepLast}\nhooks:\n  post-checkout:\n    jobs:\n      - {name: noop, run: 'true'}\n`)
        const hookRun = (tag: string) => startRun(runJobs(box.repo, [], { jobs: undefined, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TAG: tag } }), { takeNotices: false })
        config(7)
        const first = yield* hookRun("1")
        const written = yield* first.repo.store.getPolicy()
        expect(written).toMatchObject({ keep_last: 7 })
        yield* Effect.sleep(5) // a rewrite would stamp a later updated_at
        yield* hookRun("2")
        expect(yield* first.repo.store.getPolicy()).toEqual(written)
        config(9)
        // The supervisor re-reads a config whose mtime moved; make sure it did.
        const later = new Date(Date.now() + 2000)
        utimesSync(join(box.repo, "hookd.yml"), later, later)
        yield* hookRun("3")
        const changed = yield* first.repo.store.getPolicy()
        expect(changed).toMatchObject({ keep_last: 9 })
        expect(changed!.updated_at).toBeGreaterThan(written!.updated_at)
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
