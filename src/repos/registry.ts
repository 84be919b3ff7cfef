// The repositories. The supervisor is the only process that opens a coordinator.db. At start it only
// lists <state>/repos (no database is opened: start-up costs the same at any history size); each
// database is opened on first use, or by the background pass that runs once the socket is served
// (openAll), and kept open until shutdown, when the registry's scope closes them all. The first open
// of a database in this process runs the RepoPrepare hook (the supervisor's reconcile) before anyone
// can use the repo, so a job a killed supervisor left `running` is never read as running.
import { Context, Effect, Layer, Option, Scope } from "effect"
import { existsSync, readdirSync, realpathSync } from "node:fs"
import { join, resolve } from "node:path"
import { repoDbPath } from "../protocol/paths"
import { identifyRepo, RepoNotFound } from "./identity"
import type { openRepoStore } from "../store/open"
import { Store } from "../store/service"
import { StoreError } from "../store/errors"
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

/** A repository with a database that could not be opened (damaged, unreadable, …): why, for the client. */
export interface UnavailableRepo {
  readonly repoId: string
  /** Its root, when this process had it open before (it was damaged since). */
  readonly root: string | undefined
  /** The database that could not be opened. */
  readonly dbPath: string
  readonly error: OpenError
}

/** Every repository with a database: the ones open and usable, and the ones that could not be opened. */
export interface AllRepos {
  readonly repos: ReadonlyArray<OpenRepo>
  readonly unavailable: ReadonlyArray<UnavailableRepo>
}

export interface RepoRegistryService {
  /** The repository containing `path` (any path inside a worktree), opened on first use. */
  readonly resolve: (path: string) => Effect.Effect<OpenRepo, RepoNotFound | OpenError>
  /** Like resolve, but undefined for a repository hookd has never run a job for (no database is created). */
  readonly find: (path: string) => Effect.Effect<OpenRepo | undefined, RepoNotFound | OpenError>
  /** A repository with a database under <state>/repos, opened on first use; undefined when there is none. */
  readonly byId: (repoId: string) => Effect.Effect<OpenRepo | undefined, OpenError>
  /**
   * Every repository with a database, each opened if it was not yet (one at a time, yielding to
   * other requests in between); one that cannot be opened is logged (`repo_open_failed`) and
   * returned in `unavailable` with its error, so a cross-repo answer can name it.
   */
  readonly openAll: Effect.Effect<AllRepos>
  /**
   * The usable store of a repository now: a store found damaged is closed and the file opened
   * afresh (a repaired file serves again); fails while it cannot be opened, or when it has no
   * database any more (moved aside).
   */
  readonly current: (repoId: string) => Effect.Effect<RepoStore, OpenError>
  /** The repositories already open in this process (every repo a live job belongs to is). */
  readonly opened: () => ReadonlyArray<OpenRepo>
  /** How many repositories have a database (open or not). */
  readonly count: () => number
  /** The repositories opened in this process whose database was found damaged since (and not opened healthy again). */
  readonly damaged: () => ReadonlyArray<string>
}

export class RepoRegistry extends Context.Tag("hookd/RepoRegistry")<RepoRegistry, RepoRegistryService>() {}

/**
 * What runs once when a repository's database is first opened in this process, before the repo is
 * handed to anyone (the supervisor reconciles there). Optional: without it a repo is only opened.
 */
export class RepoPrepare extends Context.Tag("hookd/RepoPrepare")<RepoPrepare, (repo: OpenRepo) => Effect.Effect<void>>() {}

const canonical = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    return resolve(path)
  }
}

const REPO_ID = /^[0-9a-f]{16}$/

/** Lets pending I/O (a client's request) run before the next step: a microtask yield would not. */
export const yieldToEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

export const RepoRegistryLive = Layer.scoped(
  RepoRegistry,
  Effect.gen(function* () {
    const settings = yield* Settings
    const store = yield* Store
    const prepare = yield* Effect.serviceOption(RepoPrepare)
    const scope = yield* Effect.scope
    const repos = new Map<string, OpenRepo>()
    // Opening is serialised: two first requests for one repo must not open its database twice.
    const opening = yield* Effect.makeSemaphore(1)
    const reposDir = join(settings.stateDir, "repos")

    // Repositories from earlier runs: only their ids (a directory listing), so that `ls --all-repos`,
    // Prune and the background pass know them. Nothing is opened here. An unreadable repo dir is
    // known too (databaseMayExist is false only when there is none): opening it names the chmod.
    const known = new Set<string>()
    // The root of each repository this process has opened, kept after a damaged one is forgotten.
    const rootOf = new Map<string, string>()
    // Repositories found damaged in this process and not opened healthy since.
    const damagedSince = new Set<string>()
    for (const repoId of existsSync(reposDir) ? readdirSync(reposDir) : []) {
      if (REPO_ID.test(repoId) && databaseMayExist(repoDbPath(settings.stateDir, repoId))) known.add(repoId)
    }
    if (known.size > 0) yield* logInfo("repos_discovered", { count: known.size })

    /**
     * A store whose file was damaged after it was opened (truncated, garbled) is closed and forgotten
     * here, so the next request opens the file afresh: that explains the damage again, or — once the
     * user moved the file aside as told — starts a fresh history, without a restart.
     */
    const forgetDamaged = Effect.suspend(() =>
      Effect.forEach([...repos.values()].filter((repo) => repo.store.isDamaged()), (repo) => {
        repo.store.closeNow()
        repos.delete(repo.repoId)
        damagedSince.add(repo.repoId)
        return logWarn("repo_damaged", { repo_id: repo.repoId, path: repo.store.dbPath, action: "closed; opened afresh on next use" })
      }, { discard: true })
    )
    const usable = (repo: OpenRepo): boolean => !repo.store.isDamaged()

    const open = Effect.fn("RepoRegistry.open")(function* (repoId: string, root: string) {
      yield* forgetDamaged
      const already = repos.get(repoId)
      if (already) return already
      const dbPath = repoDbPath(settings.stateDir, repoId)
      // No mkdir here: opening creates the directories (0700) and explains one it cannot use.
      // We hold the singleton, and this database is not open in this process: any lock dir is stale.
      if (yield* store.clearStaleLock(dbPath)) {
        yield* logWarn("stale_lock_removed", { path: `${dbPath}.lock` })
      }
      const repoStore = yield* store.open({ dbPath, repoId, root }).pipe(Scope.extend(scope))
      const row = yield* repoStore.repo
      const repo: OpenRepo = { repoId, root: row.root, store: repoStore }
      if (Option.isSome(prepare)) yield* prepare.value(repo)
      repos.set(repoId, repo)
      damagedSince.delete(repoId)
      rootOf.set(repoId, repo.root)
      known.add(repoId)
      return repo
    }, opening.withPermits(1))

    const openedAt = (path: string): OpenRepo | undefined => {
      const wanted = canonical(path)
      for (const repo of repos.values()) if (repo.root === wanted || repo.root === path) return repo
      return undefined
    }

    const openAll: RepoRegistryService["openAll"] = Effect.gen(function* () {
      yield* forgetDamaged
      const unavailable: UnavailableRepo[] = []
      for (const repoId of [...known]) {
        if (repos.has(repoId)) continue
        yield* yieldToEventLoop
        yield* open(repoId, "").pipe(
          Effect.catchAll((error) => {
            unavailable.push({ repoId, root: rootOf.get(repoId), dbPath: repoDbPath(settings.stateDir, repoId), error })
            return logWarn("repo_open_failed", { repo_id: repoId, error: String((error as { message?: string }).message ?? error) })
          })
        )
      }
      return { repos: [...repos.values()].filter(usable), unavailable }
    })

    /**
     * A path git no longer knows (the worktree was deleted) can still be a recorded root: listing,
     * tailing and pruning its history keep working. The roots are in the databases, so open them.
     */
    const recordedRoot = (path: string, notFound: RepoNotFound) =>
      Effect.gen(function* () {
        if (repos.size < known.size) yield* openAll
        const repo = openedAt(path)
        return repo ?? (yield* Effect.fail(notFound))
      })

    /** The repository already open at `path`, or else the identity to open: git's, or a recorded root. */
    const locate = (path: string) =>
      Effect.gen(function* () {
        yield* forgetDamaged
        const repo = openedAt(path)
        if (repo) return { repo }
        const identity = yield* identifyRepo(path).pipe(
          Effect.catchAll((notFound) => Effect.map(recordedRoot(path, notFound), (r) => ({ repoId: r.repoId, root: r.root })))
        )
        return { identity }
      })

    const resolveRepo = Effect.fn("RepoRegistry.resolve")(function* (path: string) {
      const found = yield* locate(path)
      if (found.repo) return found.repo
      return yield* open(found.identity.repoId, found.identity.root)
    })

    const findRepo = Effect.fn("RepoRegistry.find")(function* (path: string) {
      const found = yield* locate(path)
      if (found.repo) return found.repo
      const { repoId, root } = found.identity
      if (!repos.has(repoId) && !databaseMayExist(repoDbPath(settings.stateDir, repoId))) return undefined
      return yield* open(repoId, root)
    })

    const byId = (repoId: string) =>
      Effect.suspend(() => {
        const repo = repos.get(repoId)
        if (repo) return Effect.succeed(usable(repo) ? repo : undefined)
        if (!REPO_ID.test(repoId) || !databaseMayExist(repoDbPath(settings.stateDir, repoId))) return Effect.succeed(undefined)
        return open(repoId, "")
      })

    const current = (repoId: string) =>
      Effect.gen(function* () {
        yield* forgetDamaged
        const repo = yield* byId(repoId)
        if (repo !== undefined) return repo.store
        const dbPath = repoDbPath(settings.stateDir, repoId)
        return yield* new StoreError({ path: dbPath, operation: "reopen", cause: new Error("there is no database any more (moved aside?)") })
      })

    return {
      resolve: resolveRepo,
      find: findRepo,
      byId,
      current,
      openAll,
      opened: () => [...repos.values()].filter(usable),
      count: () => known.size,
      damaged: () => [...new Set([...damagedSince, ...[...repos.values()].filter((repo) => !usable(repo)).map((repo) => repo.repoId)])]
    } satisfies RepoRegistryService
  })
)
