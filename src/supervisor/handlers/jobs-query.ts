// ListJobs and GetJob.
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { jobLogPath } from "../../protocol/paths"
import type { JobInfo, RequestPayloads } from "../../protocol/types"
import { Settings } from "../../settings/settings"
import type { JobFilter, ListedJobRow } from "../../store/rows"
import { compareListPositions, decodeCursor, encodeCursor, fitsPage, keysetAfter, type ListPosition } from "../../domain/list-page"
import { MAX_FRAME_BYTES } from "../../protocol/types"
import { BadRequest } from "../errors"
import { knownRepo, resolveJob } from "../job-address"
import { toJobInfo } from "../../jobs/rows"
import { JobRunner } from "../../jobs/runner"
import { RepoRegistry, type OpenRepo } from "../../repos/registry"
import { LeftOut, perRepo } from "../left-out-repos"

const liveFactsOf = (runner: JobRunner["Type"], repoId: string, invocationId: string, name: string) => {
  const entry = runner.live(repoId, invocationId, name)
  return entry ? { logBytes: entry.log.bytes } : undefined
}

/** A page's bounds: far below the 8 MiB frame cap, and small enough to keep memory flat. */
export const PAGE_MAX_ROWS = 1000
export const PAGE_MAX_BYTES = 1024 * 1024
/** An unpaged answer must fit one frame, with room for the envelope around the jobs. */
const ANSWER_MAX_BYTES = MAX_FRAME_BYTES - 64 * 1024

const positionOf = (repoId: string, row: ListedJobRow): ListPosition => ({
  createdAt: row.invocation_created_at,
  repoId,
  invocationRowid: row.invocation_rowid,
  jobRowid: row.job_rowid
})

const tooLarge = (rows: number) =>
  new BadRequest({
    message:
      `the answer (over ${rows} jobs) is larger than one frame (${MAX_FRAME_BYTES / 1024 / 1024} MiB): ` +
      `pass a limit, or ask for pages (paged: true, then cursor: next_cursor) — hookctl ls pages by itself`
  })

interface Page {
  readonly jobs: ReadonlyArray<JobInfo>
  readonly bytes: number
  /** Where the next page starts; undefined when no row follows. */
  readonly next: ListPosition | undefined
}

/**
 * Up to `want` rows after `cursor`, across `repos` in the one list order, and no more than
 * `maxBytes` of encoded JobInfo (but at least one row). Each repository is asked for one row more
 * than `want`, to know whether more follow.
 */
const readPage = (
  repos: ReadonlyArray<OpenRepo>,
  filter: JobFilter,
  cursor: ListPosition | undefined,
  want: number,
  maxBytes: number,
  leftOut: LeftOut | undefined
) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const rows: Array<{ repo: OpenRepo; row: ListedJobRow; position: ListPosition }> = []
    for (const repo of repos) {
      if (leftOut?.has(repo.repoId)) continue
      for (const row of yield* perRepo(leftOut, repo, [], repo.store.listJobs({ ...filter, limit: want + 1 }, keysetAfter(cursor, repo.repoId)))) {
        rows.push({ repo, row, position: positionOf(repo.repoId, row) })
      }
    }
    // One repository's rows are in order already; several are merged into the one order.
    if (repos.length > 1) rows.sort((a, b) => compareListPositions(a.position, b.position))
    const now = Date.now()
    const jobs: JobInfo[] = []
    let bytes = 0
    for (const { repo, row } of rows.slice(0, want)) {
      const info = toJobInfo(repo, row, now, liveFactsOf(runner, repo.repoId, row.invocation_id, row.name))
      const size = Buffer.byteLength(JSON.stringify(info)) + 1
      if (!fitsPage(jobs.length, bytes, size, maxBytes)) break
      bytes += size
      jobs.push(info)
    }
    const page: Page = { jobs, bytes, next: jobs.length < rows.length ? rows[jobs.length - 1]?.position : undefined }
    return page
  })

/** Un-noticed background failures first, then newest first (flow's `ls --failed`), in one answer. */
const unnoticedFirst = (repos: ReadonlyArray<OpenRepo>, filter: JobFilter, limit: number, total: number | undefined, leftOut: LeftOut | undefined) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const now = Date.now()
    const listed: Array<{ info: JobInfo; position: ListPosition }> = []
    for (const repo of repos) {
      if (leftOut?.has(repo.repoId)) continue
      const want = limit === Number.MAX_SAFE_INTEGER ? {} : { limit }
      for (const row of yield* perRepo(leftOut, repo, [], repo.store.listJobs({ ...filter, ...want, unnoticedFirst: true }))) {
        listed.push({ info: toJobInfo(repo, row, now, liveFactsOf(runner, repo.repoId, row.invocation_id, row.name)), position: positionOf(repo.repoId, row) })
      }
    }
    const unnoticed = (info: JobInfo) => (info.background && info.notified_at === null ? 1 : 0)
    listed.sort((a, b) => unnoticed(b.info) - unnoticed(a.info) || compareListPositions(a.position, b.position))
    const jobs = listed.slice(0, limit).map((l) => l.info)
    let bytes = 0
    for (const [n, job] of jobs.entries()) {
      bytes += Buffer.byteLength(JSON.stringify(job)) + 1
      if (bytes > ANSWER_MAX_BYTES) return yield* tooLarge(n)
    }
    return { jobs, total: total ?? jobs.length, ...leftOut?.field() }
  })

export const listJobs = (request: RequestPayloads["ListJobs"]) =>
  Effect.gen(function* () {
    const registry = yield* RepoRegistry
    const cursor = request.cursor !== undefined ? decodeCursor(request.cursor) : undefined
    if (request.cursor !== undefined && cursor === undefined) {
      return yield* new BadRequest({ message: "payload.cursor: not a cursor hookd handed out (send back next_cursor as it came)" })
    }
    let repos: ReadonlyArray<OpenRepo>
    // Across repositories, one that cannot be read is named in `unavailable`, and the rest listed.
    let leftOut: LeftOut | undefined
    if (request.repo_id !== undefined) {
      const repo = yield* registry.byId(request.repo_id)
      repos = repo ? [repo] : []
    } else if (request.repo_root !== undefined && !request.all_repos) {
      const repo = yield* registry.find(request.repo_root)
      repos = repo ? [repo] : []
    } else {
      const all = yield* registry.openAll
      repos = all.repos
      leftOut = new LeftOut(all.unavailable)
    }
    const filter: JobFilter = {
      ...(request.worktree !== undefined ? { worktree: request.worktree } : {}),
      ...(request.hook !== undefined ? { hook: request.hook } : {}),
      ...(request.status !== undefined && request.status.length > 0 ? { statuses: request.status } : {}),
      ...(request.tag !== undefined ? { tag: request.tag } : {}),
      ...(request.invocation_prefix !== undefined ? { invocation_prefix: request.invocation_prefix } : {})
    }
    // The footer's "N more": counted on the first page only (cheap — an index walk — but not free).
    const counted = request.limit !== undefined && cursor === undefined
    let total = 0
    if (counted) for (const repo of repos) total += yield* perRepo(leftOut, repo, 0, repo.store.countJobs(filter))
    const limit = request.limit ?? Number.MAX_SAFE_INTEGER

    // `ls --failed`: un-noticed background failures first. That order has no cursor; the status
    // filter keeps such a listing small, so it is one answer (still refused if over a frame).
    if (request.unnoticed_first === true) return yield* unnoticedFirst(repos, filter, limit, counted ? total : undefined, leftOut)

    if (request.paged === true || request.cursor !== undefined) {
      const page = yield* readPage(repos, filter, cursor, Math.min(limit, PAGE_MAX_ROWS), PAGE_MAX_BYTES, leftOut)
      return {
        jobs: page.jobs,
        ...(counted ? { total } : {}),
        ...(page.next !== undefined ? { next_cursor: encodeCursor(page.next) } : {}),
        ...leftOut?.field()
      }
    }
    // Unpaged: the whole answer in one frame, read page by page so a history too large for a frame
    // is refused once it is known to be, without reading the rest of it.
    const jobs: JobInfo[] = []
    let bytes = 0
    let next: ListPosition | undefined
    do {
      const page = yield* readPage(repos, filter, next, Math.min(limit - jobs.length, PAGE_MAX_ROWS), Number.MAX_SAFE_INTEGER, leftOut)
      for (const job of page.jobs) jobs.push(job)
      bytes += page.bytes
      if (bytes > ANSWER_MAX_BYTES) return yield* tooLarge(jobs.length)
      next = page.next
    } while (next !== undefined && jobs.length < limit)
    // Without a limit the list is the whole answer; with one, `total` says how many matched in all.
    return { jobs, total: counted ? total : jobs.length, ...leftOut?.field() }
  })

export const getJob = (request: RequestPayloads["GetJob"]) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const settings = yield* Settings
    const repo = yield* knownRepo(request.job.repo_root)
    const row = yield* resolveJob(repo, request.job)
    const info = toJobInfo(repo, row, Date.now(), liveFactsOf(runner, repo.repoId, row.invocation_id, row.name))
    // For `hookctl show`: env names only — values may be secrets even after scrubbing. A job that
    // wrote no output has no log file (issue 13): no path, `hookctl logs` shows its records.
    const logPath = jobLogPath(settings.stateDir, repo.repoId, row.invocation_id, row.name)
    return {
      ...info,
      env_names: Object.keys(row.env).sort(),
      ...(existsSync(logPath) && { log_path: logPath })
    } satisfies JobInfo
  })
