// Fault: a repository's database damaged while its jobs run (issue 14 item 9, the edges). Before,
// the store found damaged was closed and a job that ended then tried its final write through the
// closed store every second until shutdown, even after the file was repaired. Now the end is
// tried again after 1 s and then less and less often (at most once a minute), logged once; each
// attempt goes through the store opened afresh, so once the file is repaired the end lands — and
// the reopen's reconcile leaves the jobs still running in this process alone (before, it would
// have killed them). When the file was moved aside instead, the row is gone: the retries stop.
// In process: the runner, registry and reconcile-on-open as main composes them, real SQLite files.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Logger } from "effect"
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { FOREGROUND_TRIES, recordRetryDelayMs } from "../../src/jobs/invocation"
import { RunningHereLive } from "../../src/jobs/running-here"
import { repoDbPath } from "../../src/protocol/paths"
import { identifyRepo } from "../../src/repos/identity"
import { RepoRegistry } from "../../src/repos/registry"
import { layerSettings } from "../../src/settings/settings"
import { toProtocolError } from "../../src/supervisor/errors"
import { ReconcileOnOpen } from "../../src/supervisor/reconcile"
import { makeGitRepo } from "../support/git"
import { garble } from "./support"
import { harnessLayer, harnessSettings, job, recordsOf, scratchDir, startJobs, untilLine } from "../support/harness"
import { waitForGate } from "../support/hookctl"
import { seedHistory } from "../support/seed-history"

/** The harness plus what main adds: reconcile on every open, sharing the runner's index of running jobs. */
const withReconcile = (stateDir: string) =>
  Layer.provideMerge(harnessLayer({ stateDir, killGraceMs: 500 }), ReconcileOnOpen.pipe(Layer.provideMerge(RunningHereLive), Layer.provide(layerSettings(harnessSettings({ stateDir })))))

type LogEvent = { readonly event: string; readonly fields: Record<string, unknown> }

/** The supervisor's log events, and a way to wait for the first one that matches. */
const watchEvents = () => {
  const events: LogEvent[] = []
  const waiting: Array<{ readonly matches: (e: LogEvent) => boolean; readonly found: Deferred.Deferred<LogEvent> }> = []
  const logger = Logger.make(({ message }) => {
    const [event, fields] = Array.isArray(message) ? message : [message, {}]
    const e = { event: String(event), fields: (fields ?? {}) as Record<string, unknown> }
    events.push(e)
    for (const w of waiting) if (w.matches(e)) Deferred.unsafeDone(w.found, Effect.succeed(e))
  })
  const first = (event: string, fields: Record<string, unknown> = {}) =>
    Effect.gen(function* () {
      const matches = (e: LogEvent) => e.event === event && Object.entries(fields).every(([k, v]) => (v === undefined ? k in e.fields : e.fields[k] === v))
      const found = events.find(matches)
      if (found !== undefined) return found.fields
      const d = yield* Deferred.make<LogEvent>()
      waiting.push({ matches, found: d })
      return (yield* Deferred.await(d)).fields
    })
  return { events, logger: Logger.add(logger), first }
}

/** A repository with enough history (about 1 MB) that a fresh store has most of its pages uncached. */
const repoWithHistory = Effect.gen(function* () {
  const dir = yield* scratchDir()
  const stateDir = join(dir, "state")
  const repo = makeGitRepo(join(dir, "repo"))
  const repoId = (yield* identifyRepo(repo)).repoId
  yield* seedHistory({ stateDir, repoId, root: realpathSync(repo), invocations: 600, jobsPerInvocation: 1 })
  return { dir, stateDir, repo, repoId, dbPath: repoDbPath(stateDir, repoId) }
})

/** Two jobs that print `ready` and wait for their gate file; both running when this returns. */
const twoGatedJobs = (dir: string, repo: string, stateDir: string) =>
  Effect.gen(function* () {
    const gates = { finishing: join(dir, "gate-finishing"), still: join(dir, "gate-still") }
    const started = yield* startJobs(repo, [
      job("finishing", `echo ready; ${waitForGate(gates.finishing)}`),
      job("still", `echo ready; ${waitForGate(gates.still)}`)
    ])
    for (const name of ["finishing", "still"]) yield* untilLine(stateDir, started.liveJob(name), "ready")
    return { started, gates }
  })

/** Damages the file under the open store, and lets a query find it (the store then counts as damaged). */
const damageUnderTheStore = (dbPath: string) =>
  Effect.gen(function* () {
    garble(dbPath)
    const open = yield* (yield* RepoRegistry).byId(dbPath.split("/").at(-2)!)
    const failure = toProtocolError(yield* Effect.flip(open!.store.listJobs({})))
    expect(failure.code).toBe("REPO_UNAVAILABLE")
    expect(open!.store.isDamaged()).toBe(true)
  })

describe("fault: a database damaged while its jobs run", () => {
  it("a job's end that cannot be written is tried again after 1 s, 2 s, 4 s … and then once a minute (never every second until shutdown); the first three tries hold the job", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map(recordRetryDelayMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000])
    expect(FOREGROUND_TRIES).toBe(3)
  })

  it.scopedLive("repaired (the good file put back): the finished job's end lands through the reopened store, logged once; the job still running is not killed by the reopen's reconcile", () =>
    Effect.gen(function* () {
      const { dir, stateDir, repo, dbPath } = yield* repoWithHistory
      const watch = watchEvents()
      yield* Effect.gen(function* () {
        const { started, gates } = yield* twoGatedJobs(dir, repo, stateDir)
        // The good copy, as a backup or a `sqlite3 .recover` would give it: both rows say running.
        copyFileSync(dbPath, `${dbPath}.good`)
        if (existsSync(`${dbPath}-wal`)) copyFileSync(`${dbPath}-wal`, `${dbPath}.good-wal`)
        yield* damageUnderTheStore(dbPath)

        writeFileSync(gates.finishing, "")
        const notRecorded = yield* watch.first("end_not_recorded")
        expect(notRecorded).toMatchObject({ job: "finishing" })
        expect(String(notRecorded.error)).toMatch(/damaged|malformed|not a database/)
        // Repaired: the good file back in place (and its WAL, when it had one).
        copyFileSync(`${dbPath}.good`, dbPath)
        rmSync(`${dbPath}-wal`, { force: true })
        if (existsSync(`${dbPath}.good-wal`)) copyFileSync(`${dbPath}.good-wal`, `${dbPath}-wal`)

        expect((yield* Deferred.await(started.liveJob("finishing").done)).status).toBe("completed")
        yield* watch.first("end_recorded", { job: "finishing" })
        const store = (yield* (yield* RepoRegistry).resolve(repo)).store
        expect(store).not.toBe(started.repo.store)
        expect(yield* store.getJob(started.invocationId, "finishing")).toMatchObject({ status: "completed", exit_code: 0 })
        // The reopen reconciled the file, but left the job running here alone: it runs on and completes.
        expect(yield* store.getJob(started.invocationId, "still")).toMatchObject({ status: "running" })
        writeFileSync(gates.still, "")
        expect((yield* Deferred.await(started.liveJob("still").done)).status).toBe("completed")
        expect(yield* store.getJob(started.invocationId, "still")).toMatchObject({ status: "completed", exit_code: 0 })
        expect((yield* store.getInvocation(started.invocationId))?.status).toBe("completed")
        // Logged once when it could not, once when it was recorded — not once per attempt.
        expect(watch.events.filter((e) => e.event === "end_not_recorded" && e.fields.job === "finishing")).toHaveLength(1)
        expect(watch.events.filter((e) => e.event === "end_recorded" && e.fields.job === "finishing")).toHaveLength(1)
      }).pipe(Effect.provide(watch.logger), Effect.provide(withReconcile(stateDir)))
    }), 60_000)

  it.scopedLive("moved aside as the message says: once a fresh database exists the row is gone, and the retries stop (logged once), the job's log keeps its end", () =>
    Effect.gen(function* () {
      const { dir, stateDir, repo, dbPath } = yield* repoWithHistory
      const watch = watchEvents()
      yield* Effect.gen(function* () {
        const { started, gates } = yield* twoGatedJobs(dir, repo, stateDir)
        yield* damageUnderTheStore(dbPath)
        writeFileSync(gates.finishing, "")
        const notRecorded = yield* watch.first("end_not_recorded")
        const fix = String(notRecorded.error).match(/mv \S+ \S+( && mv \S+ \S+)?/)?.[0]
        expect(fix, String(notRecorded.error)).toBeDefined()
        execFileSync("/bin/sh", ["-c", fix!])
        // A hook run starts the fresh history.
        const next = yield* startJobs(repo, [job("next", "true")])
        expect((yield* Deferred.await(next.liveJob("next").done)).status).toBe("completed")
        expect((yield* Deferred.await(started.liveJob("finishing").done)).status).toBe("completed")
        // After its first tries the job ended; the write went on in the background until the row was found gone.
        expect(String((yield* watch.first("end_not_recorded", { job: "finishing", gave_up: undefined })).gave_up)).toContain("no longer has the row")
        expect(watch.events.filter((e) => e.event === "end_not_recorded" && e.fields.job === "finishing" && e.fields.gave_up !== undefined)).toHaveLength(1)
        expect(recordsOf(stateDir, started.liveJob("finishing")).at(-1)).toMatchObject({ kind: "status", data: { event: "finished", exit_code: 0 } })
        writeFileSync(gates.still, "")
        expect((yield* Deferred.await(started.liveJob("still").done)).status).toBe("completed")
      }).pipe(Effect.provide(watch.logger), Effect.provide(withReconcile(stateDir)))
    }), 60_000)
})
