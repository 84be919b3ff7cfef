// Automatic retry (issue 12 item 8), in process (test/support/harness.ts): real store, real
// processes. The attempts of a job share its row and log; dependents wait for the last attempt;
// a cancel during the backoff ends the job with no further attempt; shutdown during the backoff
// ends it as its last attempt did.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Stream } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { JobRunner, type LiveJob } from "../../src/jobs/runner"
import { tailJobLog } from "../../src/jobs/tail"
import { jobLogPath } from "../../src/protocol/paths"
import { RepoRegistry } from "../../src/repos/registry"
import { harnessLayer, job, recordsOf, sandbox, startJobs } from "../support/harness"

/** Counts its runs in `counter`, prints `attempt N`, and succeeds from run `succeedAt` on (never when 0). */
const flaky = (counter: string, succeedAt: number) =>
  `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "attempt $n"; ` +
  (succeedAt === 0 ? "exit 1" : `[ $n -ge ${succeedAt} ]`)

const runs = (counter: string): number => Number(readFileSync(counter, "utf8").trim())

/** Waits (on the live log, no polling) for the record that ends attempt `attempt`. */
const untilAttemptFailed = (stateDir: string, job: LiveJob, attempt: number) =>
  tailJobLog({ path: jobLogPath(stateDir, job.repoId, job.invocationId, job.name), live: job.log, follow: true }).pipe(
    Stream.filter((r) => r.kind === "status" && r.data.event === "attempt_failed" && r.data.attempt === attempt),
    Stream.runHead,
    Effect.orDie
  )

const shown = (records: ReturnType<typeof recordsOf>) =>
  records.map((r) => (r.kind === "status" ? (r.data.event === "started" ? "started" : r.data) : r.data))

describe("retry: {attempts, backoff}", () => {
  it.scopedLive("a job failing twice then succeeding ends completed after 3 attempts; its dependent runs once, after it", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const counter = join(box.dir, "flaky-runs")
        const after = join(box.dir, "after-runs")
        const started = yield* startJobs(box.repo, [
          job("flaky", flaky(counter, 3), { retry: { attempts: 3, backoff_ms: 100 } }),
          job("after", `echo x >> ${after}`, { needs: ["flaky"] })
        ])
        expect(yield* Deferred.await(started.liveJob("flaky").done)).toEqual({ status: "completed" })
        expect(yield* Deferred.await(started.liveJob("after").done)).toEqual({ status: "completed" })
        expect(runs(counter)).toBe(3)
        expect(readFileSync(after, "utf8")).toBe("x\n")

        const flakyRow = (yield* started.repo.store.getJob(started.invocationId, "flaky"))!
        expect(flakyRow).toMatchObject({ status: "completed", exit_code: 0, attempt: 3, max_attempts: 3, retry_backoff_ms: 100, retry_at: null, error: null })
        expect(flakyRow.attempts.map(({ finished_at: _, ...a }) => a)).toEqual([
          { attempt: 1, status: "failed", exit_code: 1, signal: null, error: null },
          { attempt: 2, status: "failed", exit_code: 1, signal: null, error: null }
        ])
        const afterRow = (yield* started.repo.store.getJob(started.invocationId, "after"))!
        expect(afterRow.started_at).toBeGreaterThanOrEqual(flakyRow.finished_at!)
        expect(afterRow.attempt).toBe(1)

        // One log, every attempt's output in order, each failed attempt closed by a non-terminal record.
        expect(shown(recordsOf(box.stateDir, started.liveJob("flaky")))).toEqual([
          "started",
          "attempt 1",
          { event: "attempt_failed", attempt: 1, of: 3, exit_code: 1, retry_in_ms: expect.any(Number) },
          "started",
          "attempt 2",
          { event: "attempt_failed", attempt: 2, of: 3, exit_code: 1, retry_in_ms: expect.any(Number) },
          "started",
          "attempt 3",
          { event: "finished", exit_code: 0 }
        ])
        // The schedule: 100 ms, then 200 ms, each shortened by at most 20 % of jitter.
        const waits = recordsOf(box.stateDir, started.liveJob("flaky")).flatMap((r) =>
          r.kind === "status" && r.data.event === "attempt_failed" ? [r.data.retry_in_ms] : []
        )
        expect(waits[0]).toBeGreaterThanOrEqual(80)
        expect(waits[0]).toBeLessThanOrEqual(100)
        expect(waits[1]).toBeGreaterThanOrEqual(160)
        expect(waits[1]).toBeLessThanOrEqual(200)
        expect((yield* started.repo.store.getInvocation(started.invocationId))?.status).toBe("completed")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a job that fails every attempt ends failed with the last exit code; its dependent is skipped", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const counter = join(box.dir, "runs")
        const started = yield* startJobs(box.repo, [
          job("broken", flaky(counter, 0), { retry: { attempts: 2, backoff_ms: 0 } }),
          job("after", "true", { needs: ["broken"] })
        ])
        expect(yield* Deferred.await(started.liveJob("after").done)).toEqual({ status: "skipped" })
        expect(runs(counter)).toBe(2)
        const row = (yield* started.repo.store.getJob(started.invocationId, "broken"))!
        expect(row).toMatchObject({ status: "failed", exit_code: 1, attempt: 2, max_attempts: 2 })
        expect(row.attempts).toHaveLength(1)
        expect((yield* started.repo.store.getJob(started.invocationId, "after"))!.skip_reason).toBe("dependency broken failed")
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a timed-out attempt is retried; a job without retry runs once", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const counter = join(box.dir, "slow-runs")
        const once = join(box.dir, "once-runs")
        const started = yield* startJobs(box.repo, [
          job("slow", `${flaky(counter, 99)}; sleep 30`, { timeout_ms: 300, retry: { attempts: 2, backoff_ms: 0 } }),
          job("once", flaky(once, 0))
        ])
        expect(yield* Deferred.await(started.liveJob("slow").done)).toEqual({ status: "timed_out" })
        expect(yield* Deferred.await(started.liveJob("once").done)).toEqual({ status: "failed" })
        expect(runs(counter)).toBe(2)
        expect(runs(once)).toBe(1)
        const row = (yield* started.repo.store.getJob(started.invocationId, "slow"))!
        expect(row.attempts.map((a) => [a.status, a.error])).toEqual([["timed_out", "timed out after 300 ms"]])
        expect((yield* started.repo.store.getJob(started.invocationId, "once"))!).toMatchObject({ attempt: 1, max_attempts: 1, attempts: [] })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("a cancel during the backoff ends the job cancelled with no further attempt; its dependent is skipped", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      yield* Effect.gen(function* () {
        const counter = join(box.dir, "runs")
        const started = yield* startJobs(box.repo, [
          job("flaky", flaky(counter, 0), { retry: { attempts: 3, backoff_ms: 60_000 } }),
          job("after", "true", { needs: ["flaky"] })
        ])
        const flakyJob = started.liveJob("flaky")
        yield* untilAttemptFailed(box.stateDir, flakyJob, 1)
        const waiting = (yield* started.repo.store.getJob(started.invocationId, "flaky"))!
        expect(waiting).toMatchObject({ status: "queued", attempt: 2, exit_code: null, pid: null, started_at: null })
        expect(waiting.retry_at).toBeGreaterThan(Date.now())
        expect(flakyJob.status).toBe("queued")

        const cancelled = yield* (yield* JobRunner).cancel(started.repo.repoId, started.invocationId, "flaky", "user")
        expect(cancelled).toEqual({ wasLive: true })
        expect(yield* Deferred.await(started.liveJob("after").done)).toEqual({ status: "skipped" })
        const row = (yield* started.repo.store.getJob(started.invocationId, "flaky"))!
        expect(row).toMatchObject({ status: "cancelled", error: "cancelled by user", attempt: 2, exit_code: null, retry_at: null })
        expect(runs(counter)).toBe(1)
        const records = recordsOf(box.stateDir, flakyJob)
        expect(records.filter((r) => r.kind === "status" && r.data.event === "started")).toHaveLength(1)
        expect(records.at(-1)).toMatchObject({ kind: "status", data: { event: "cancelled", by: "user" } })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("shutdown during the backoff ends the job as its last attempt did, saying which attempt never ran", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      const counter = join(box.dir, "runs")
      const started = yield* Effect.gen(function* () {
        const started = yield* startJobs(box.repo, [job("flaky", flaky(counter, 0), { retry: { attempts: 3, backoff_ms: 60_000 } })])
        yield* untilAttemptFailed(box.stateDir, started.liveJob("flaky"), 1)
        return started
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
      // The harness's scope closed: the runner shut down. The next supervisor reads the row.
      yield* Effect.gen(function* () {
        const repo = yield* (yield* RepoRegistry).resolve(box.repo)
        const row = (yield* repo.store.getJob(started.invocationId, "flaky"))!
        expect(row).toMatchObject({
          status: "failed",
          exit_code: 1,
          attempt: 2,
          retry_at: null,
          error: "exit 1; attempt 2 of 3 never ran: hookd shut down during the backoff"
        })
        expect(runs(counter)).toBe(1)
        expect(recordsOf(box.stateDir, started.liveJob("flaky")).at(-1)).toMatchObject({ kind: "status", data: { event: "finished", exit_code: 1 } })
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
