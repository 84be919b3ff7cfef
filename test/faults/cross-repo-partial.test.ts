// Fault: one damaged repository in a cross-repo request (issue 14 item 9, the edges). `hookctl ls
// --all-repos` and `hookctl prune --all-repos` list/prune the healthy repositories and name the
// damaged one on stderr with its code, cause and fix (exit 1: the answer is incomplete). Damaged
// before the supervisor started (it cannot be opened): black box, the built supervisor and hookctl.
// Damaged under an open store (its query fails): in process, the handlers over the real store —
// through the socket the store's page cache (exclusive WAL) may still answer from memory.
import { readdirSync, realpathSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { afterEach } from "vitest"
import type { JobInfo, UnavailableRepo } from "../../src/protocol/types"
import { identifyRepo } from "../../src/repos/identity"
import { RepoRegistry } from "../../src/repos/registry"
import { toProtocolError } from "../../src/supervisor/errors"
import { cancelAll, cancelMatching } from "../../src/supervisor/handlers/cancel"
import { prune } from "../../src/supervisor/handlers/history"
import { listJobs } from "../../src/supervisor/handlers/jobs-query"
import { harnessLayer, job, scratchDir, startJobs, untilLine } from "../support/harness"
import { seedHistory } from "../support/seed-history"
import { repoDbPath } from "../../src/protocol/paths"
import { makeGitRepo } from "../support/git"
import { garble } from "./support"
import { hookctl } from "../support/hookctl"
import { makeSandbox, startSupervisor, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

const repoRunning = (dir: string, job: string) => {
  const repo = makeGitRepo(dir)
  writeFileSync(join(repo, "hookd.yml"), `hooks:\n  pre-commit:\n    jobs:\n      - {name: ${job}, run: 'true'}\n`)
  return repo
}

const DAMAGED = /hookctl: warning: left out repository (\S+ \()?[0-9a-f]{16}\)?: REPO_UNAVAILABLE .*(damaged|not a database).*mv \S+ \S+\.broken/

describe("fault: a damaged repository in ls --all-repos / prune --all-repos", () => {
  for (const when of ["before the supervisor started"] as const) {
    it(`damaged ${when}: the healthy repository is listed and pruned, the damaged one named on stderr with the mv, exit 1`, async () => {
      const box = (sandbox = makeSandbox())
      const broken = repoRunning(join(box.dir, "broken"), "broken-job")
      const healthy = repoRunning(join(box.dir, "healthy"), "healthy-job")
      let hookd = await startSupervisor(box)
      try {
        const reposDir = join(box.stateDir, "repos")
        const ran = async (repo: string) => {
          const r = await hookctl(box, repo, ["run-hook", "pre-commit"])
          expect(r.code, r.stderr).toBe(0)
          return readdirSync(reposDir)
        }
        // The broken repository runs first: the one repo dir then is its.
        const [brokenId] = await ran(broken)
        expect(await ran(healthy)).toHaveLength(2)
        const dbPath = repoDbPath(box.stateDir, brokenId!)
        await hookd.stopCleanly()
        garble(dbPath)
        hookd = await startSupervisor(box)

        const table = await hookctl(box, healthy, ["ls", "--all-repos"])
        expect(table.code, table.stderr).toBe(1)
        expect(table.stdout).toContain("healthy-job")
        expect(table.stdout).not.toContain("broken-job")
        expect(table.stderr).toMatch(DAMAGED)
        expect(table.stderr).toContain(dbPath)
        expect(table.stderr).not.toMatch(/internal error|INTERNAL/)

        const json = await hookctl(box, healthy, ["ls", "--all-repos", "--json"])
        expect(json.code).toBe(1)
        expect((JSON.parse(json.stdout) as JobInfo[]).map((j) => j.name)).toEqual(["healthy-job"])
        expect(json.stderr).toMatch(DAMAGED)

        // --failed (one answer, its own order) and a limit (the count) leave it out the same way.
        for (const args of [["ls", "--all-repos", "--failed"], ["ls", "--all-repos", "--limit", "5"]]) {
          const r = await hookctl(box, healthy, args)
          expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1)
          expect(r.stderr).toMatch(DAMAGED)
        }

        const prune = await hookctl(box, healthy, ["prune", "--all-repos", "--dry-run"])
        expect(prune.code, prune.stderr).toBe(1)
        expect(prune.stdout).toContain("would prune")
        expect(prune.stderr).toMatch(DAMAGED)

        // The one-repository requests still answer with the error itself.
        const own = await hookctl(box, broken, ["ls"])
        expect(own.code).toBe(1)
        expect(own.stderr).toContain(`mv ${dbPath} ${dbPath}.broken`)
        expect(own.stderr).not.toContain("left out")
        // The healthy repository alone: no warning, exit 0.
        const alone = await hookctl(box, healthy, ["ls"])
        expect(alone.code, alone.stderr).toBe(0)
        expect(alone.stderr).toBe("")
      } finally {
        await hookd.stopCleanly()
      }
    })
  }
})

describe("fault: a repository damaged under its open store, in a cross-repo request", () => {
  it.scopedLive("ListJobs all_repos (whole, paged, unnoticed first, limited), Prune and CancelMatching of every repository answer for the healthy one and name the damaged one", () =>
    Effect.gen(function* () {
      const dir = yield* scratchDir()
      const stateDir = join(dir, "state")
      const broken = makeGitRepo(join(dir, "broken"))
      const healthy = makeGitRepo(join(dir, "healthy"))
      const ran = (repo: string, name: string) =>
        Effect.flatMap(startJobs(repo, [job(name, "true")]), (started) => Deferred.await(started.liveJob(name).done))
      // Written by an earlier supervisor, so the stores opened below have nothing cached.
      yield* Effect.all([ran(broken, "broken-job"), ran(healthy, "healthy-job")]).pipe(Effect.provide(harnessLayer({ stateDir })))
      const brokenId = (yield* identifyRepo(broken)).repoId
      const dbPath = repoDbPath(stateDir, brokenId)
      // History enough (about 1 MB) that the store opened below has most pages uncached: the damage
      // is found by the listing even though the job started there touched the newest pages.
      yield* seedHistory({ stateDir, repoId: brokenId, root: realpathSync(broken), invocations: 600, jobsPerInvocation: 1 })
      yield* Effect.gen(function* () {
        const registry = yield* RepoRegistry
        yield* registry.resolve(broken)
        yield* registry.resolve(healthy)
        // A job runs in the repository whose file is then damaged.
        const stuck = yield* startJobs(broken, [job("stuck", "echo ready; sleep 300")])
        yield* untilLine(stateDir, stuck.liveJob("stuck"), "ready")
        garble(dbPath)
        const expectLeftOut = (unavailable: ReadonlyArray<UnavailableRepo> | undefined) => {
          expect(unavailable).toHaveLength(1)
          expect(unavailable![0]).toMatchObject({ repo_id: brokenId, root: realpathSync(broken), code: "REPO_UNAVAILABLE" })
          expect(unavailable![0]!.message).toContain(`mv ${dbPath} ${dbPath}.broken`)
        }
        for (const request of [{ all_repos: true }, { all_repos: true, paged: true }, { all_repos: true, unnoticed_first: true }, { all_repos: true, limit: 5 }]) {
          const answer = yield* listJobs(request)
          expect(answer.jobs.map((j) => j.name), JSON.stringify(request)).toEqual(["healthy-job"])
          expectLeftOut(answer.unavailable)
        }
        const pruned = yield* prune({ dry_run: true })
        expectLeftOut(pruned.unavailable)
        // CancelMatching across repositories: the healthy one's running job is cancelled, the damaged one named.
        const running = yield* startJobs(healthy, [job("long", "sleep 300")])
        const cancelled = yield* cancelMatching({ hook: "post-checkout" })
        expect(cancelled.names).toEqual([`${running.invocationId.slice(0, 8)}:long`])
        expect(cancelled.unavailable).toHaveLength(1)
        expect(cancelled.unavailable![0]).toMatchObject({ repo_id: brokenId, code: "REPO_UNAVAILABLE" })
        expect(cancelled.unavailable![0]!.message).toContain(`mv ${dbPath} ${dbPath}.broken`)
        expect((yield* Deferred.await(running.liveJob("long").done)).status).toBe("cancelled")
        const nothing = toProtocolError(yield* Effect.flip(cancelMatching({ hook: "post-checkout" })))
        expect(nothing.code).toBe("NO_MATCH")
        expect(nothing.message).toContain(`not searched, its jobs could not be read — ${brokenId}: `)
        // CancelAll needs no rows: the job of the damaged repository is cancelled too.
        expect((yield* cancelAll({})).names).toEqual([`${stuck.invocationId.slice(0, 8)}:stuck`])
        // Asked for alone, the damaged repository's answer is its error, as before.
        expect(toProtocolError(yield* Effect.flip(listJobs({ repo_root: broken })))).toMatchObject({ code: "REPO_UNAVAILABLE" })
        // The healthy one alone: no `unavailable` at all.
        expect(yield* listJobs({ repo_root: healthy })).not.toHaveProperty("unavailable")
      }).pipe(Effect.provide(harnessLayer({ stateDir })))
    }))
})
