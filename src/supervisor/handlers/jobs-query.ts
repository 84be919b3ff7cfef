// ListJobs and GetJob.
import { Effect } from "effect"
import { jobLogPath } from "../../protocol/paths"
import type { JobInfo, RequestPayloads } from "../../protocol/types"
import { Settings } from "../../settings/settings"
import type { JobFilter } from "../../store/rows"
import { knownRepo, resolveJob } from "../job-address"
import { toJobInfo } from "../../jobs/rows"
import { JobRunner } from "../../jobs/runner"
import { RepoRegistry, type OpenRepo } from "../../repos/registry"

const liveFactsOf = (runner: JobRunner["Type"], repoId: string, invocationId: string, name: string) => {
  const entry = runner.live(repoId, invocationId, name)
  return entry ? { logBytes: entry.log.bytes } : undefined
}

export const listJobs = (request: RequestPayloads["ListJobs"]) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const runner = yield* JobRunner
    let repos: ReadonlyArray<OpenRepo>
    if (request.repo_id !== undefined) {
      const repo = registry.byId(request.repo_id)
      repos = repo ? [repo] : []
    } else if (request.repo_root !== undefined && !request.all_repos) {
      const repo = yield* registry.find(request.repo_root)
      repos = repo ? [repo] : []
    } else {
      repos = registry.all()
    }
    const filter: JobFilter = {
      ...(request.worktree !== undefined ? { worktree: request.worktree } : {}),
      ...(request.hook !== undefined ? { hook: request.hook } : {}),
      ...(request.status !== undefined && request.status.length > 0 ? { statuses: request.status } : {}),
      ...(request.tag !== undefined ? { tag: request.tag } : {}),
      ...(request.invocation_prefix !== undefined ? { invocation_prefix: request.invocation_prefix } : {}),
      ...(request.limit !== undefined ? { limit: request.limit } : {}),
      ...(request.unnoticed_first === true ? { unnoticedFirst: true } : {})
    }
    const now = Date.now()
    let total = 0
    const listed: Array<{ info: JobInfo; createdAt: number }> = []
    for (const repo of repos) {
      total += request.limit !== undefined ? yield* repo.store.countJobs(filter) : 0
      for (const row of yield* repo.store.listJobs(filter)) {
        listed.push({
          info: toJobInfo(repo, row, now, liveFactsOf(runner, repo.repoId, row.invocation_id, row.name)),
          createdAt: row.invocation_created_at
        })
      }
    }
    // Newest invocation first across repos (un-noticed failures before the rest when asked); a
    // stable sort keeps each repo's own order within ties.
    const unnoticed = (info: JobInfo) => (request.unnoticed_first === true && info.background && info.notified_at === null ? 1 : 0)
    listed.sort((a, b) => unnoticed(b.info) - unnoticed(a.info) || b.createdAt - a.createdAt)
    const jobs = listed.map((l) => l.info)
    // Without a limit the list is the whole answer; with one, `total` says how many matched in all.
    return request.limit !== undefined ? { jobs: jobs.slice(0, request.limit), total } : { jobs, total: jobs.length }
  })

export const getJob = (request: RequestPayloads["GetJob"]) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const settings = yield* Settings
    const repo = yield* knownRepo(request.job.repo_root)
    const row = yield* resolveJob(repo, request.job)
    const info = toJobInfo(repo, row, Date.now(), liveFactsOf(runner, repo.repoId, row.invocation_id, row.name))
    // For `hookctl show`: env names only — values may be secrets even after scrubbing.
    return {
      ...info,
      env_names: Object.keys(row.env).sort(),
      log_path: jobLogPath(settings.stateDir, repo.repoId, row.invocation_id, row.name)
    } satisfies JobInfo
  })
