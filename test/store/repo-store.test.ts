// Store: repository functions round-trip through a real coordinator.db.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { openRepoStore } from "../../src/store/open"
import type { RepoStore } from "../../src/store/repo-store"
import { freshDbPath, invocation, job, rawRows, useTempDirs, withRawDb } from "./helpers"

useTempDirs()

const open = (dbPath = freshDbPath()) => openRepoStore({ dbPath, repoId: "0123456789abcdef", root: "/repo" })

const INV_OLD = "aaaa000000000001"
const INV_NEW = "aaab000000000002"
const INV_OTHER = "bbbb000000000003"

/** Three invocations: two post-checkout in /repo (old, new) and a pre-commit in /wt. */
const seed = (store: RepoStore) =>
  Effect.all([
    store.insertInvocation(invocation({ invocation_id: INV_OLD, created_at: 1000 }), [
      job({ invocation_id: INV_OLD, name: "install", status: "completed", tags: ["deps"] }),
      job({ invocation_id: INV_OLD, name: "build", status: "failed", needs: ["install"] })
    ]),
    store.insertInvocation(invocation({ invocation_id: INV_NEW, created_at: 2000 }), [
      job({ invocation_id: INV_NEW, name: "install", status: "running", tags: ["deps", "net"] }),
      job({ invocation_id: INV_NEW, name: "build", status: "queued", needs: ["install"] })
    ]),
    store.insertInvocation(
      invocation({ invocation_id: INV_OTHER, created_at: 1500, hook: "pre-commit", worktree: "/wt" }),
      [job({ invocation_id: INV_OTHER, name: "lint", hook: "pre-commit", worktree: "/wt", status: "cancelling",
        background: false })]
    )
  ], { discard: true })

const keys = (rows: ReadonlyArray<{ invocation_id: string; name: string }>) =>
  rows.map((r) => `${r.invocation_id.slice(0, 4)}:${r.name}`)

describe("Store: repository functions", () => {
  it.scopedLive("insertInvocation + getInvocation/getJob/jobsOfInvocation round-trip every field", () =>
    Effect.gen(function* () {
      const store = yield* open()
      const full = job({
        cwd: "packages/web", env: { NODE_ENV: "development" }, needs: ["a", "b"], tags: ["x"], background: false,
        status: "failed", exit_code: 3, signal: "SIGTERM", pid: 100, pgid: 100, proc_start: "12345:boot",
        started_at: 5, finished_at: 6, retention_secs: 86400, sampling_every_nth: 2, max_log_bytes: 1024,
        log_bytes: 77, skip_reason: "why not", error: "boom", input_key: "k".repeat(64), input_match: "8b31c0ffee000001"
      })
      const second = job({ name: "second" })
      yield* store.insertInvocation(invocation(), [full, second])
      expect(yield* store.getInvocation(INV_OLD)).toEqual(invocation())
      expect(yield* store.getJob(INV_OLD, "install")).toEqual(full)
      expect(yield* store.jobsOfInvocation(INV_OLD)).toEqual([full, second])
      expect(yield* store.getInvocation("ffff000000000000")).toBeUndefined()
      expect(yield* store.getJob(INV_OLD, "nope")).toBeUndefined()
    }))

  it.scopedLive("waitedJobsOfInvocation: the invocation's foreground jobs only, in declaration order", () =>
    Effect.gen(function* () {
      const store = yield* open()
      const jobs = [
        job({ name: "zeta", background: false }),
        job({ name: "bg", background: true }),
        job({ name: "alpha", background: false, status: "failed" })
      ]
      yield* store.insertInvocation(invocation(), jobs)
      yield* store.insertInvocation(invocation({ invocation_id: INV_NEW }), [job({ invocation_id: INV_NEW, name: "other", background: false })])
      expect(yield* store.waitedJobsOfInvocation(INV_OLD)).toEqual([jobs[0], jobs[2]])
      expect(yield* store.waitedJobsOfInvocation("ffff000000000000")).toEqual([])
    }))

  it.scopedLive("jobStatusesOfInvocation: each status of the invocation's jobs once, none of another invocation's", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      yield* store.insertInvocation(invocation({ invocation_id: INV_OTHER.replace("3", "4"), created_at: 3000 }), [
        job({ invocation_id: INV_OTHER.replace("3", "4"), name: "a", status: "completed" }),
        job({ invocation_id: INV_OTHER.replace("3", "4"), name: "b", status: "completed" }),
        job({ invocation_id: INV_OTHER.replace("3", "4"), name: "c", status: "skipped" })
      ])
      expect((yield* store.jobStatusesOfInvocation(INV_OLD)).sort()).toEqual(["completed", "failed"])
      expect((yield* store.jobStatusesOfInvocation(INV_NEW)).sort()).toEqual(["queued", "running"])
      expect((yield* store.jobStatusesOfInvocation(INV_OTHER.replace("3", "4"))).sort()).toEqual(["completed", "skipped"])
      // A status queued by updateJob in this turn is seen (a read flushes the queue first).
      const [, sameTurn] = yield* Effect.all([store.updateJob(INV_NEW, "build", { status: "cancelled" }), store.jobStatusesOfInvocation(INV_NEW)], { concurrency: "unbounded" })
      expect([...sameTurn].sort()).toEqual(["cancelled", "running"])
      expect((yield* store.jobStatusesOfInvocation(INV_NEW)).sort()).toEqual(["cancelled", "running"])
      expect(yield* store.jobStatusesOfInvocation("ffff000000000000")).toEqual([])
    }))

  it.scopedLive("insertInvocation is one transaction: a duplicate job name stores nothing", () =>
    Effect.gen(function* () {
      const store = yield* open()
      const error = yield* Effect.flip(store.insertInvocation(invocation(), [job(), job()]))
      expect(error._tag).toBe("StoreError")
      expect(yield* store.getInvocation(INV_OLD)).toBeUndefined()
    }))

  it.live("secret-looking env names never reach env_json; look-alikes do", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      const env = { GH_TOKEN: "t", aws_secret_key: "k", PASSWORD: "p", FOO_TOKENISH: "keep", PATH: "/bin" }
      yield* Effect.scoped(Effect.gen(function* () {
        const store = yield* open(dbPath)
        yield* store.insertInvocation(invocation(), [job({ env })])
        yield* store.insertInvocation(invocation({ invocation_id: INV_NEW }), [job({ invocation_id: INV_NEW })])
        yield* store.updateJob(INV_NEW, "install", { env: { db_password: "x", Token: "y", OK: "1" } })
      }))
      const raw = rawRows(dbPath, "SELECT invocation_id, env_json FROM jobs ORDER BY rowid")
      expect(JSON.parse(String(raw[0]!.env_json))).toEqual({ FOO_TOKENISH: "keep", PATH: "/bin" })
      expect(JSON.parse(String(raw[1]!.env_json))).toEqual({ OK: "1" })
      for (const row of raw) expect(String(row.env_json)).not.toMatch(/GH_TOKEN|aws_secret_key|PASSWORD|Token/)
    }))

  it.scopedLive("updateJob changes only the patched columns, explicit nulls included", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* store.insertInvocation(invocation(), [job({ pid: 7, error: "old" })])
      yield* store.updateJob(INV_OLD, "install", { status: "running", started_at: 42, error: null })
      expect(yield* store.getJob(INV_OLD, "install")).toEqual(
        job({ pid: 7, status: "running", started_at: 42, error: null }))
      yield* store.updateJob(INV_OLD, "install", { background: false, tags: ["t"], log_bytes: 10 })
      expect(yield* store.getJob(INV_OLD, "install")).toEqual(
        job({ pid: 7, status: "running", started_at: 42, error: null, background: false, tags: ["t"], log_bytes: 10 }))
    }))

  it.scopedLive("updateJob calls of one turn are written together: a missing job fails only its own caller, and a later read sees them all in order", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* store.insertInvocation(invocation(), [job(), job({ name: "build" })])
      // Forked: each queues its patch and waits for the end of the turn; the read comes after them.
      const writes = yield* Effect.forEach(
        [
          store.updateJob(INV_OLD, "install", { status: "running", pid: 11 }),
          store.updateJob(INV_OLD, "ghost", { status: "failed" }),
          store.updateJob(INV_OLD, "build", { status: "running" }),
          store.updateJob(INV_OLD, "install", { status: "completed", exit_code: 0 })
        ],
        (write) => Effect.fork(Effect.either(write))
      )
      yield* Effect.yieldNow()
      const read = yield* store.jobsOfInvocation(INV_OLD)
      expect(read.map((j) => [j.name, j.status, j.pid, j.exit_code])).toEqual([
        ["install", "completed", 11, 0],
        ["build", "running", null, null]
      ])
      const results = yield* Effect.forEach(writes, (fiber) => fiber.await.pipe(Effect.flatten))
      expect(results.map((r) => r._tag)).toEqual(["Right", "Left", "Right", "Right"])
      const missing = results[1]!
      expect(missing._tag === "Left" && missing.left.message).toContain("ghost")
    }))

  it.scopedLive("updateJob of a missing job fails; updateJobs is all or nothing", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* store.insertInvocation(invocation(), [job(), job({ name: "build" })])
      expect((yield* Effect.flip(store.updateJob(INV_OLD, "ghost", { status: "failed" })))._tag).toBe("StoreError")
      const error = yield* Effect.flip(store.updateJobs([
        { invocationId: INV_OLD, name: "install", patch: { status: "completed" } },
        { invocationId: INV_OLD, name: "ghost", patch: { status: "completed" } }
      ]))
      expect(error.message).toContain("ghost")
      expect((yield* store.getJob(INV_OLD, "install"))?.status).toBe("queued")
      yield* store.updateJobs([
        { invocationId: INV_OLD, name: "install", patch: { status: "completed", exit_code: 0 } },
        { invocationId: INV_OLD, name: "build", patch: { status: "skipped", skip_reason: "dependency x failed" } }
      ])
      expect((yield* store.jobsOfInvocation(INV_OLD)).map((j) => [j.status, j.exit_code, j.skip_reason])).toEqual([
        ["completed", 0, null],
        ["skipped", null, "dependency x failed"]
      ])
    }))

  it.scopedLive("setInvocationStatus updates the invocation", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* store.insertInvocation(invocation(), [])
      yield* store.setInvocationStatus(INV_OLD, "completed")
      expect((yield* store.getInvocation(INV_OLD))?.status).toBe("completed")
      expect((yield* Effect.flip(store.setInvocationStatus("ffff000000000000", "x")))._tag).toBe("StoreError")
    }))

  it.scopedLive("a job status written by a newer hookd reads as unknown (never a crash, never terminal)", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* Effect.scoped(Effect.flatMap(open(dbPath), (store) => store.insertInvocation(invocation(), [job()])))
      withRawDb(dbPath, (db) => db.run("UPDATE jobs SET status = 'hibernating'"))
      const store = yield* open(dbPath)
      expect((yield* store.getJob(INV_OLD, "install"))?.status).toBe("unknown")
      expect((yield* store.listJobs({})).map((j) => j.status)).toEqual(["unknown"])
    }))

  it.scopedLive("listJobs: newest invocation first, then declaration order, with invocation_created_at", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      const all = yield* store.listJobs({})
      expect(keys(all)).toEqual(["aaab:install", "aaab:build", "bbbb:lint", "aaaa:install", "aaaa:build"])
      expect(all.map((j) => j.invocation_created_at)).toEqual([2000, 2000, 1500, 1000, 1000])
    }))

  it.scopedLive("listJobs filters by worktree, hook, statuses, tag, invocation prefix and limit", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      expect(keys(yield* store.listJobs({ worktree: "/wt" }))).toEqual(["bbbb:lint"])
      expect(keys(yield* store.listJobs({ hook: "post-checkout" })))
        .toEqual(["aaab:install", "aaab:build", "aaaa:install", "aaaa:build"])
      expect(keys(yield* store.listJobs({ statuses: ["failed", "queued"] }))).toEqual(["aaab:build", "aaaa:build"])
      expect(keys(yield* store.listJobs({ statuses: [] }))).toHaveLength(5)
      expect(keys(yield* store.listJobs({ tag: "net" }))).toEqual(["aaab:install"])
      expect(keys(yield* store.listJobs({ tag: "deps" }))).toEqual(["aaab:install", "aaaa:install"])
      expect(keys(yield* store.listJobs({ tag: "de" }))).toEqual([])
      expect(keys(yield* store.listJobs({ invocation_prefix: "aaaa" }))).toEqual(["aaaa:install", "aaaa:build"])
      expect(keys(yield* store.listJobs({ invocation_prefix: "aaa" })))
        .toEqual(["aaab:install", "aaab:build", "aaaa:install", "aaaa:build"])
      expect(keys(yield* store.listJobs({ invocation_prefix: "%" }))).toEqual([])
      expect(keys(yield* store.listJobs({ limit: 2 }))).toEqual(["aaab:install", "aaab:build"])
      expect(keys(yield* store.listJobs({ hook: "post-checkout", worktree: "/repo", tag: "deps", limit: 1 })))
        .toEqual(["aaab:install"])
    }))

  it.scopedLive("countJobs counts what listJobs would list, ignoring the limit (ls: \"… N more\")", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      for (const filter of [{}, { worktree: "/wt" }, { hook: "post-checkout" }, { statuses: ["failed", "queued"] }, { tag: "deps" }, { invocation_prefix: "aaa" },
        { hook: "post-checkout", worktree: "/repo", tag: "deps" }, { statuses: ["running", "failed"], invocation_prefix: "aaab" },
        { worktree: "/wt", hook: "pre-commit", statuses: ["cancelling"], tag: "x", invocation_prefix: "bbbb" }]) {
        expect(yield* store.countJobs({ ...filter, limit: 1 })).toBe((yield* store.listJobs(filter)).length)
      }
      expect(yield* store.countJobs({ tag: "nothing" })).toBe(0)
    }))

  it.scopedLive("invocationIdsByPrefix and newestInvocationWithJob", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      expect(yield* store.invocationIdsByPrefix("aaa")).toEqual([INV_NEW, INV_OLD])
      expect(yield* store.invocationIdsByPrefix("bbbb")).toEqual([INV_OTHER])
      expect(yield* store.invocationIdsByPrefix("cccc")).toEqual([])
      expect(yield* store.newestInvocationWithJob("install")).toBe(INV_NEW)
      expect(yield* store.newestInvocationWithJob("lint")).toBe(INV_OTHER)
      expect(yield* store.newestInvocationWithJob("nope")).toBeUndefined()
    }))

  it.scopedLive("newestJobInWorktree: the newest row of that job in that worktree with one of the statuses", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      const newest = (worktree: string, name: string, statuses: string[]) =>
        Effect.map(store.newestJobInWorktree(worktree, name, statuses), (row) => row && `${row.invocation_id.slice(0, 4)}:${row.status}`)
      expect(yield* newest("/repo", "install", ["completed", "running"])).toBe("aaab:running")
      expect(yield* newest("/repo", "install", ["completed"])).toBe("aaaa:completed")
      expect(yield* newest("/repo", "build", ["completed"])).toBeUndefined()
      expect(yield* newest("/wt", "install", ["completed", "running"])).toBeUndefined()
      expect(yield* newest("/wt", "lint", ["cancelling"])).toBe("bbbb:cancelling")
      expect(yield* newest("/repo", "install", [])).toBeUndefined()
    }))

  it.scopedLive("nonTerminalJobs returns queued, running and cancelling jobs", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      expect(keys(yield* store.nonTerminalJobs()).sort()).toEqual(["aaab:build", "aaab:install", "bbbb:lint"])
    }))

  it.scopedLive("listInvocationsWithJobs groups jobs under their invocation, newest first", () =>
    Effect.gen(function* () {
      const store = yield* open()
      yield* seed(store)
      yield* store.insertInvocation(invocation({ invocation_id: "cccc000000000004", created_at: 500 }), [])
      const listed = yield* store.listInvocationsWithJobs()
      expect(listed.map((x) => [x.invocation.invocation_id.slice(0, 4), x.jobs.map((j) => j.name)])).toEqual([
        ["aaab", ["install", "build"]],
        ["bbbb", ["lint"]],
        ["aaaa", ["install", "build"]],
        ["cccc", []]
      ])
    }))

  it.live("deleteInvocations removes invocations and cascades to their jobs", () =>
    Effect.gen(function* () {
      const dbPath = freshDbPath()
      yield* Effect.scoped(Effect.gen(function* () {
        const store = yield* open(dbPath)
        yield* seed(store)
        expect(yield* store.deleteInvocations([INV_OLD, INV_OTHER, "ffff000000000000"])).toBe(2)
        expect(yield* store.getInvocation(INV_OLD)).toBeUndefined()
        expect(keys(yield* store.listJobs({}))).toEqual(["aaab:install", "aaab:build"])
      }))
      expect(rawRows(dbPath, "SELECT invocation_id FROM jobs WHERE invocation_id <> 'aaab000000000002'")).toEqual([])
    }))

  it.scopedLive("policy: absent at first, then put/get, latest wins", () =>
    Effect.gen(function* () {
      const store = yield* open()
      expect(yield* store.getPolicy()).toBeUndefined()
      const policy = { retention_secs: 604800, keep_last: 3, max_total_bytes: 500_000_000, stale_running_after_secs: 86400 }
      const before = Date.now()
      yield* store.putPolicy(policy)
      const stored = yield* store.getPolicy()
      expect(stored).toMatchObject(policy)
      expect(stored!.updated_at).toBeGreaterThanOrEqual(before)
      yield* store.putPolicy({ ...policy, keep_last: 5 })
      expect((yield* store.getPolicy())?.keep_last).toBe(5)
    }))

  it.scopedLive("the repo row records the id and root", () =>
    Effect.gen(function* () {
      const store = yield* open()
      const repo = yield* store.repo
      expect(repo).toMatchObject({ repo_id: "0123456789abcdef", root: "/repo" })
      expect(store.repoId).toBe("0123456789abcdef")
    }))
})
