// Store: retention's per-invocation aggregates are computed in SQL; they must equal what the pure
// summarizeInvocation makes of the same job rows, batch after batch, whatever the jobs look like.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { summarizeInvocation, type InvocationSummary } from "../../src/domain/retention"
import { openRepoStore } from "../../src/store/open"
import type { SummaryCursor } from "../../src/store/repo-store"
import type { JobRow } from "../../src/store/rows"
import { freshDbPath, invocation, job, useTempDirs } from "./helpers"

useTempDirs()

const open = () => openRepoStore({ dbPath: freshDbPath(), repoId: "0123456789abcdef", root: "/repo" })
const id = (n: number) => n.toString(16).padStart(16, "0")

/** Jobs of every shape the aggregates treat differently. */
const shapes: Array<(inv: string) => Partial<JobRow>> = [
  () => ({ status: "completed", finished_at: 5_000, log_bytes: 10 }),
  () => ({ status: "failed", finished_at: null, log_bytes: 7 }),
  () => ({ status: "completed", finished_at: 9_000, retention_secs: 60, log_bytes: 3 }),
  () => ({ status: "running", finished_at: null, log_bytes: 0 }),
  () => ({ status: "queued", finished_at: null }),
  () => ({ status: "cancelled", finished_at: 2_000, retention_secs: 1 }),
  () => ({ status: "unknown" as JobRow["status"], finished_at: 1 }),
  () => ({ status: "skipped", finished_at: 500, retention_secs: 3600, log_bytes: 1 })
]

describe("Store: invocationSummaries", () => {
  it.scopedLive("equal summarizeInvocation of the same rows, in created_at order across batches (ties by insertion)", () =>
    Effect.gen(function* () {
      const store = yield* open()
      const expected: InvocationSummary[] = []
      for (let n = 0; n < 23; n++) {
        const invocationId = id(n + 1)
        // Created times repeat (ties) and are not inserted in order.
        const createdAt = 1_000 + ((n * 7) % 5) * 100
        // 0 to 3 jobs of varied shapes per invocation.
        const jobs = Array.from({ length: n % 4 }, (_, k) =>
          job({ invocation_id: invocationId, name: `j${k}`, ...shapes[(n + k) % shapes.length](invocationId) }))
        yield* store.insertInvocation(invocation({ invocation_id: invocationId, created_at: createdAt, worktree: `/w${n % 2}` }), jobs)
        expected.push(
          summarizeInvocation({
            invocation_id: invocationId,
            worktree: `/w${n % 2}`,
            created_at: createdAt,
            jobs: jobs.map((j) => ({ status: j.status, finished_at: j.finished_at, retention_secs: j.retention_secs, log_bytes: j.log_bytes }))
          })
        )
      }
      // A stable sort by created_at keeps insertion order within ties, as rowid does.
      expected.sort((a, b) => a.created_at - b.created_at)
      const read: InvocationSummary[] = []
      let after: SummaryCursor | undefined
      let batches = 0
      for (;;) {
        const batch = yield* store.invocationSummaries(after, 5)
        read.push(...batch.summaries)
        batches++
        if (batch.cursor === undefined) break
        after = batch.cursor
      }
      expect(read).toEqual(expected)
      expect(batches).toBe(5)
    }))

  it.scopedLive("an empty repo reads as no summaries and no cursor; existingInvocations names the ids with rows", () =>
    Effect.gen(function* () {
      const store = yield* open()
      expect(yield* store.invocationSummaries(undefined, 10)).toEqual({ summaries: [], cursor: undefined })
      yield* store.insertInvocation(invocation({ invocation_id: id(1) }), [])
      expect(yield* store.existingInvocations([id(1), id(2)])).toEqual(new Set([id(1)]))
      expect(yield* store.existingInvocations([])).toEqual(new Set())
    }))
})
