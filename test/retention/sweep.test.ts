// The retention sweep shell against a real store and real log directories in a temp state dir.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach } from "vitest"
import { repoDbPath } from "../../src/protocol/paths"
import { DEFAULT_RETENTION_POLICY } from "../../src/retention/policy"
import {
  DELETING_PREFIX,
  deleteRows,
  markForDeletion,
  ORPHAN_MIN_AGE_MS,
  sweepRepo,
  type SweepTarget
} from "../../src/retention/sweep"
import { openRepoStore } from "../../src/store/open"
import type { RepoStore } from "../../src/store/repo-store"
import { DAY, HOUR, hashTree, invId, logEntries, logsDir, writeInvocations, type FixtureInvocation } from "./fixture"

const REPO_ID = "0123456789abcdef"
const NOW = Date.now()
const made: string[] = []
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const openState = (invocations: ReadonlyArray<FixtureInvocation>, policy?: Partial<typeof DEFAULT_RETENTION_POLICY>) =>
  Effect.gen(function* () {
    const stateDir = mkdtempSync(join(tmpdir(), "hookd-retention-"))
    made.push(stateDir)
    const store = yield* openRepoStore({ dbPath: repoDbPath(stateDir, REPO_ID), repoId: REPO_ID, root: "/repo" })
    if (policy) yield* store.putPolicy({ ...DEFAULT_RETENTION_POLICY, ...policy })
    yield* writeInvocations(store, stateDir, NOW, invocations)
    const target: SweepTarget = { stateDir, repoId: REPO_ID, store }
    return { stateDir, store, target }
  })

const storedIds = (store: RepoStore) =>
  Effect.map(store.listInvocationsWithJobs(), (rows) => rows.map((r) => r.invocation.invocation_id).sort())

const done = (name = "build", bytes = 100) => ({ name, bytes })

describe("retention sweep shell", () => {
  it.scopedLive("removes exactly the planned invocations: their rows and their log directories", () =>
    Effect.gen(function* () {
      const { stateDir, store, target } = yield* openState(
        [
          { id: invId(1), worktree: "/w1", ago: 10 * DAY, jobs: [done()] },
          { id: invId(2), worktree: "/w1", ago: 9 * DAY, jobs: [done("a"), done("b")] },
          { id: invId(3), worktree: "/w1", ago: HOUR, jobs: [done()] }, // newest of /w1: keep_last
          { id: invId(4), worktree: "/w1", ago: 20 * DAY, jobs: [{ name: "dev", status: "running", finishedAgo: null }] }, // active
          { id: invId(5), worktree: "/w2", ago: 10 * DAY, jobs: [done()] }, // only one of /w2: keep_last
          { id: invId(6), worktree: "/w1", ago: 3 * DAY, jobs: [done("long", 100)].map((j) => ({ ...j, retention_secs: 30 * 86400 })) }
        ],
        { retention_secs: 86400, keep_last: 1 }
      )
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.decisions.map((d) => [d.invocation_id, d.reason, d.jobs, d.bytes])).toEqual([
        [invId(1), "expired", 1, 100],
        [invId(2), "expired", 2, 200]
      ])
      expect(yield* storedIds(store)).toEqual([invId(3), invId(4), invId(5), invId(6)])
      expect(logEntries(stateDir, REPO_ID)).toEqual([invId(3), invId(4), invId(5), invId(6)])
    }))

  it.scopedLive("without a repo_policy row the defaults apply: 7d retention, keep_last 3", () =>
    Effect.gen(function* () {
      const { store, target } = yield* openState([
        { id: invId(1), worktree: "/w", ago: 10 * DAY, jobs: [done()] },
        { id: invId(2), worktree: "/w", ago: 9 * DAY, jobs: [done()] },
        { id: invId(3), worktree: "/w", ago: 8 * DAY, jobs: [done()] },
        { id: invId(4), worktree: "/w", ago: DAY, jobs: [done()] },
        { id: invId(5), worktree: "/w", ago: HOUR, jobs: [done()] }
      ])
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.decisions.map((d) => d.invocation_id)).toEqual([invId(1), invId(2)])
      expect(yield* storedIds(store)).toEqual([invId(3), invId(4), invId(5)])
    }))

  it.scopedLive("over budget: the oldest evictable invocations go until the row bytes fit", () =>
    Effect.gen(function* () {
      const { stateDir, target } = yield* openState(
        [1, 2, 3, 4].map((n) => ({ id: invId(n), worktree: "/w", ago: (10 - n) * HOUR, jobs: [done("b", 100)] })),
        { keep_last: 1, max_total_bytes: 250 }
      )
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.decisions.map((d) => [d.invocation_id, d.reason])).toEqual([
        [invId(1), "over_budget"],
        [invId(2), "over_budget"]
      ])
      expect(logEntries(stateDir, REPO_ID)).toEqual([invId(3), invId(4)])
    }))

  it.scopedLive("older_than (Prune) removes finished invocations older than that, keep_last still applies", () =>
    Effect.gen(function* () {
      const { store, target } = yield* openState(
        [
          { id: invId(1), worktree: "/w", ago: 40 * DAY, jobs: [done()] },
          { id: invId(2), worktree: "/w", ago: 31 * DAY, jobs: [done()] },
          { id: invId(3), worktree: "/w", ago: 20 * DAY, jobs: [done()] },
          { id: invId(4), worktree: "/w", ago: 35 * DAY, jobs: [done()] },
          { id: invId(5), worktree: "/w", ago: 32 * DAY, jobs: [done()] } // newest two by creation: 3, 2
        ].map((i) => i),
        { retention_secs: 365 * 86400, keep_last: 2 }
      )
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false, olderThanSecs: 30 * 86400 })
      expect(result.decisions.map((d) => [d.invocation_id, d.reason])).toEqual([
        [invId(1), "older_than"],
        [invId(4), "older_than"],
        [invId(5), "older_than"]
      ])
      expect(yield* storedIds(store)).toEqual([invId(2), invId(3)])
    }))

  it.scopedLive("an invocation whose logs were never created is removed all the same", () =>
    Effect.gen(function* () {
      const { store, target } = yield* openState([{ id: invId(1), worktree: "/w", ago: 10 * DAY, jobs: [done()], noLogs: true }], {
        keep_last: 0
      })
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.decisions.map((d) => d.invocation_id)).toEqual([invId(1)])
      expect(yield* storedIds(store)).toEqual([])
    }))

  it.scopedLive("an invocation where only some jobs wrote output (lazy logs, issue 13) is removed with its directory", () =>
    Effect.gen(function* () {
      const { stateDir, store, target } = yield* openState(
        [
          { id: invId(1), worktree: "/w", ago: 10 * DAY, jobs: [done("quiet", 0), done("loud", 100)] },
          { id: invId(2), worktree: "/w", ago: 9 * DAY, jobs: [done("silent", 0)] }
        ],
        { keep_last: 0 }
      )
      expect(logEntries(stateDir, REPO_ID)).toEqual([invId(1)])
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.decisions.map((d) => [d.invocation_id, d.jobs, d.bytes])).toEqual([
        [invId(1), 2, 100],
        [invId(2), 1, 0]
      ])
      expect(result.orphans).toEqual([])
      expect(yield* storedIds(store)).toEqual([])
      expect(logEntries(stateDir, REPO_ID)).toEqual([])
    }))

  it.scopedLive("a dry run reports the same list as the real sweep and leaves db and files byte-identical", () =>
    Effect.gen(function* () {
      const { stateDir, target } = yield* openState(
        [
          { id: invId(1), worktree: "/w", ago: 10 * DAY, jobs: [done()] },
          { id: invId(2), worktree: "/w", ago: 2 * HOUR, jobs: [done("x", 400)] },
          { id: invId(3), worktree: "/w", ago: HOUR, jobs: [done()] }
        ],
        { keep_last: 1, max_total_bytes: 300 }
      )
      // Leftovers a real sweep would heal must survive a dry run too.
      mkdirSync(join(logsDir(stateDir, REPO_ID), DELETING_PREFIX + invId(9)))
      const before = hashTree(stateDir)
      const dry = yield* sweepRepo(target, { now: NOW, dryRun: true })
      expect(hashTree(stateDir)).toEqual(before)
      expect(dry.decisions.map((d) => [d.invocation_id, d.reason])).toEqual([
        [invId(1), "expired"],
        [invId(2), "over_budget"]
      ])
      const real = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(real.decisions).toEqual(dry.decisions)
      expect(hashTree(stateDir)).not.toEqual(before)
    }))

  it.scopedLive("a crash between the row delete and the directory removal is healed by the next sweep", () =>
    Effect.gen(function* () {
      const { stateDir, store, target } = yield* openState(
        [
          { id: invId(1), worktree: "/w", ago: 10 * DAY, jobs: [done()] },
          { id: invId(2), worktree: "/w", ago: HOUR, jobs: [done()] }
        ],
        { keep_last: 1 }
      )
      // The first two steps of eviction, then "the process dies" before removing the directory.
      yield* markForDeletion(target, [invId(1)])
      yield* deleteRows(target, [invId(1)])
      expect(logEntries(stateDir, REPO_ID)).toEqual([DELETING_PREFIX + invId(1), invId(2)])
      expect(yield* storedIds(store)).toEqual([invId(2)])

      const next = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(next.healed).toEqual([invId(1)])
      expect(next.decisions).toEqual([])
      expect(logEntries(stateDir, REPO_ID)).toEqual([invId(2)])
      expect(yield* storedIds(store)).toEqual([invId(2)])
    }))

  it.scopedLive("a crash between the rename and the row delete is healed: rows first, then the directory", () =>
    Effect.gen(function* () {
      const { stateDir, store, target } = yield* openState(
        [
          // Not expired (so the plan alone would keep it): only the leftover marks it for deletion.
          { id: invId(1), worktree: "/w", ago: HOUR, jobs: [done()] },
          { id: invId(2), worktree: "/w", ago: 0, jobs: [done()] }
        ],
        { keep_last: 1 }
      )
      yield* markForDeletion(target, [invId(1)])
      expect(yield* storedIds(store)).toEqual([invId(1), invId(2)])

      const next = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(next.healed).toEqual([invId(1)])
      expect(yield* storedIds(store)).toEqual([invId(2)])
      expect(logEntries(stateDir, REPO_ID)).toEqual([invId(2)])
    }))

  it.scopedLive("log directories without rows go once older than a minute; fresh ones and foreign names stay", () =>
    Effect.gen(function* () {
      const { stateDir, target } = yield* openState([{ id: invId(1), worktree: "/w", ago: HOUR, jobs: [done()] }])
      const logs = logsDir(stateDir, REPO_ID)
      const old = (NOW - ORPHAN_MIN_AGE_MS - 5000) / 1000
      for (const name of [invId(7), invId(8), "notes"]) mkdirSync(join(logs, name, "job"), { recursive: true })
      writeFileSync(join(logs, invId(7), "job", "output.jsonl"), "{}\n")
      utimesSync(join(logs, invId(7)), old, old)
      utimesSync(join(logs, "notes"), old, old)

      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.orphans).toEqual([invId(7)])
      expect(existsSync(join(logs, invId(7)))).toBe(false)
      expect(logEntries(stateDir, REPO_ID)).toEqual([invId(1), invId(8), "notes"])
    }))

  it.scopedLive("a job non-terminal past stale_running_after is reported, never evicted", () =>
    Effect.gen(function* () {
      const { store, target } = yield* openState(
        [
          { id: invId(1), worktree: "/w", ago: 3 * DAY, jobs: [{ name: "watch", status: "running", finishedAgo: null, startedAgo: 2 * DAY }] },
          { id: invId(2), worktree: "/w", ago: 3 * DAY, jobs: [{ name: "fresh", status: "running", finishedAgo: null, startedAgo: HOUR }] }
        ],
        { keep_last: 0, retention_secs: 60 }
      )
      const result = yield* sweepRepo(target, { now: NOW, dryRun: false })
      expect(result.decisions).toEqual([])
      expect(result.stale.map((s) => [s.invocation_id, s.name, s.status, s.since])).toEqual([[invId(1), "watch", "running", NOW - 2 * DAY]])
      expect(yield* storedIds(store)).toEqual([invId(1), invId(2)])
    }))
})
