// Store: the columns of issue 12's retry (migration 005) round-trip, and `ls --failed`'s order —
// background failures no hook run reported yet first — over a real coordinator.db.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { openRepoStore } from "../../src/store/open"
import { freshDbPath, invocation, job, useTempDirs } from "./helpers"

useTempDirs()

const open = () => openRepoStore({ dbPath: freshDbPath(), repoId: "0123456789abcdef", root: "/repo" })
const FAILED = ["failed", "timed_out", "crashed"]

describe("Store: retry attempts", () => {
  it.scopedLive("attempt, max_attempts, retry_backoff_ms, retry_at and the earlier attempts round-trip; a plain job reads attempt 1 of 1", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* store.insertInvocation(invocation(), [job({ name: "flaky", max_attempts: 3, retry_backoff_ms: 100 }), job({ name: "plain" })])
      const earlier = { attempt: 1, status: "failed" as const, exit_code: 1, signal: null, error: null, finished_at: 5 }
      yield* store.updateJob("aaaa000000000001", "flaky", { status: "queued", attempt: 2, retry_at: 99, attempts: [earlier] })
      expect(yield* store.getJob("aaaa000000000001", "flaky")).toMatchObject({
        attempt: 2,
        max_attempts: 3,
        retry_backoff_ms: 100,
        retry_at: 99,
        attempts: [earlier],
        notified_at: null
      })
      expect(yield* store.getJob("aaaa000000000001", "plain")).toMatchObject({ attempt: 1, max_attempts: 1, retry_backoff_ms: null, retry_at: null, attempts: [] })
      const [listed] = yield* store.listJobs({ statuses: ["queued"], limit: 1 })
      expect(listed).toMatchObject({ name: "flaky", attempt: 2, attempts: [earlier] })
    }))
})

describe("Store: listJobs unnoticedFirst (hookctl ls --failed)", () => {
  it.scopedLive("background failures not yet noticed come first, newest first; then the rest, newest first; notified_at is listed", () =>
    Effect.gen(function* () {
      const store = yield* open()
      const inv = (n: number) => `aaaa00000000000${n}`
      const insert = (n: number, createdAt: number, over: Partial<Parameters<typeof job>[0]>) =>
        store.insertInvocation(invocation({ invocation_id: inv(n), created_at: createdAt }), [job({ invocation_id: inv(n), ...over })])
      // Two background failures that a hook run then reported (notified_at set).
      yield* insert(1, 1000, { name: "old-noticed", status: "failed" })
      yield* insert(2, 2000, { name: "noticed", status: "failed" })
      expect((yield* store.takeFailureNotices(2500)).map((n) => n.name)).toEqual(["old-noticed", "noticed"])
      // Then, not reported yet: one older than both, one newer; a foreground failure (never noticed:
      // you saw it fail) and a completed job.
      yield* insert(0, 500, { name: "oldest-unnoticed", status: "crashed" })
      yield* insert(3, 3000, { name: "foreground", status: "failed", background: false })
      yield* insert(4, 4000, { name: "new-unnoticed", status: "timed_out" })
      yield* insert(5, 5000, { name: "fine", status: "completed" })

      const names = (rows: ReadonlyArray<{ name: string }>) => rows.map((r) => r.name)
      expect(names(yield* store.listJobs({ statuses: FAILED, unnoticedFirst: true }))).toEqual([
        "new-unnoticed", "oldest-unnoticed", "foreground", "noticed", "old-noticed"
      ])
      // Without the flag: newest first, as always.
      expect(names(yield* store.listJobs({ statuses: FAILED }))).toEqual(["new-unnoticed", "foreground", "noticed", "old-noticed", "oldest-unnoticed"])
      // The limit applies after the order: the un-noticed ones are never cut for older noticed ones.
      expect(names(yield* store.listJobs({ statuses: FAILED, unnoticedFirst: true, limit: 2 }))).toEqual(["new-unnoticed", "oldest-unnoticed"])
      const listed = yield* store.listJobs({ statuses: FAILED, unnoticedFirst: true })
      expect(listed.map((r) => [r.name, r.notified_at])).toEqual([
        ["new-unnoticed", null], ["oldest-unnoticed", null], ["foreground", null], ["noticed", 2500], ["old-noticed", 2500]
      ])
    }))
})
