// The open repositories. The supervisor is the only process that opens a coordinator.db, so each
// one is opened on first use (or at start, for those already under <state>/repos) and kept open
// until shutdown, when the registry's scope closes them all.
import { Context, Effect, Layer, Scope } from "effect"
import { existsSync, readdirSync, realpathSync } from "node:fs"
import { join, resolve } from "node:path"
import { repoDbPath } from "../protocol/paths"
import { identifyRepo, RepoNotFound } from "./identity"
import type { openRepoStore } from "../store/open"
import { Store } from "../store/service"
import { databaseMayExist } from "../store/diagnose"
import type { RepoStore } from "../store/repo-store"
import { logInfo, logWarn } from "../logging/event-log"
import { Settings } from "../settings/settings"

export interface OpenRepo {
  readonly repoId: string
  readonly root: string
  readonly store: RepoStore
}

type OpenError = Effect.Effect.Error<ReturnType<typeof openRepoStore>>

export interface RepoRegistryService {
  /** The repository containing `path` (any path inside a worktree), opened on first use. */
  readonly resolve: (path: string) => Effect.Effect<OpenRepo, RepoNotFound | OpenError>
  /** Like resolve, but undefined for a repository hookd has never run a job for (no database is created). */
  readonly find: (path: string) => Effect.Effect<OpenRepo | undefined, RepoNotFound | OpenError>
  readonly byId: (repoId: string) => OpenRepo | undefined
  readonly all: () => ReadonlyArray<OpenRepo>
}

export class RepoRegistry extends Context.Tag("hookd/RepoRegistry")<RepoRegistry, RepoRegistryService>() {}

const canonical = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    return resolve(path)
  }
}

export const RepoRegistryLive = Layer.scoped(
  RepoRegistry,
  Effect.gen(function* () {
    const settings = yield* Settings
    const store = yield* Store
    const scope = yield* Effect.scope
    const repos = new Map<string, OpenRepo>()
    // Opening is serialised: two first requests for one repo must not open its database twice.
    const opening = yield* Effect.makeSemaphore(1)
    const reposDir = join(settings.stateDir, "repos")

    /**
     * A store whose file was damaged after it was opened (truncated, garbled) is closed and forgotten
     * here, so the next request opens the file afresh: that explains the damage again, or — once the
     * user moved the file aside as told — starts a fresh history, without a restart.
     */
    const forgetDamaged = Effect.suspend(() =>
      Effect.forEach([...repos.values()].filter((repo) => repo.store.isDamaged()), (repo) => {
        repo.store.closeNow()
        repos.delete(repo.repoId)
        return logWarn("repo_damaged", { repo_id: repo.repoId, path: repo.store.dbPath, action: "closed; opened afresh on next use" })
      }, { discard: true })
    )
    const usable = (repo: OpenRepo | undefined): OpenRepo | undefined => (repo?.store.isDamaged() ? undefined : repo)

    const open = Effect.fn("RepoRegistry.open")(function* (repoId: string, root: string) {
      yield* forgetDamaged
      const known = repos.get(repoId)
      if (known) return known
      const dbPath = repoDbPath(settings.stateDir, repoId)
      // No mkdir here: opening creates the directories (0700) and explains one it cannot use.
      // We hold the singleton, and this database is not open in this process: any lock dir is stale.
      if (yield* store.clearStaleLock(dbPath)) {
        yield* logWarn("stale_lock_removed", { path: `${dbPath}.lock` })
      }
      const repoStore = yield* store.open({ dbPath, repoId, root }).pipe(Scope.extend(scope))
      const row = yield* repoStore.repo
      const repo: OpenRepo = { repoId, root: row.root, store: repoStore }
      repos.set(repoId, repo)
      return repo
    }, opening.withPermits(1))

    const resolveRepo = Effect.fn("RepoRegistry.resolve")(function* (path: string) {
      yield* forgetDamaged
      const wanted = canonical(path)
      // A recorded root still answers when its directory is gone (listing, tailing, pruning).
      for (const repo of repos.values()) if (repo.root === wanted || repo.root === path) return repo
      const identity = yield* identifyRepo(path)
      return yield* open(identity.repoId, identity.root)
    })

    const findRepo = Effect.fn("RepoRegistry.find")(function* (path: string) {
      yield* forgetDamaged
      const wanted = canonical(path)
      for (const repo of repos.values()) if (repo.root === wanted || repo.root === path) return repo
      const identity = yield* identifyRepo(path)
      if (!databaseMayExist(repoDbPath(settings.stateDir, identity.repoId))) return undefined
      return yield* open(identity.repoId, identity.root)
    })

    // Discover repositories from earlier runs so reconcile and `ls --all-repos` see them.
    const discovered = existsSync(reposDir) ? readdirSync(reposDir) : []
    for (const repoId of discovered) {
      if (!/^[0-9a-f]{16}$/.test(repoId) || !databaseMayExist(repoDbPath(settings.stateDir, repoId))) continue
      yield* open(repoId, "").pipe(
        Effect.catchAll((error) =>
          logWarn("repo_open_failed", { repo_id: repoId, error: String((error as { message?: string }).message ?? error) })
        )
      )
    }
    if (discovered.length > 0) yield* logInfo("repos_discovered", { count: repos.size })

    return {
      resolve: resolveRepo,
      find: findRepo,
      byId: (repoId) => usable(repos.get(repoId)),
      all: () => [...repos.values()].filter((repo) => usable(repo) !== undefined)
    } satisfies RepoRegistryService
  })
)
