// Finding the job a command is about: did-you-mean when a name is unknown, and the newest (failed) job
// of the current worktree for `logs` without a <job>.
import type { JobAddress, JobInfo } from "../../protocol/types"
import { FAILED_STATUSES } from "../list-defaults"
import { expectKind, type Connection } from "../connection"
import { ClientError, EXIT_NOT_FOUND, ServerError } from "../errors"
import { worktreeRoot } from "../git"
import { didYouMean } from "../suggest"

/** How many recent jobs the did-you-mean looks at. */
const SUGGESTION_POOL = 500

/**
 * Runs `body`; a JOB_NOT_FOUND for a job name becomes `no job named "chek" — did you mean "check"?`
 * (exit 4) with the closest name among the repository's recent jobs (or the invocation's, with a prefix).
 */
export const withJobSuggestion = async <A>(c: Connection, address: JobAddress, body: () => Promise<A>): Promise<A> => {
  try {
    return await body()
  } catch (e) {
    if (!(e instanceof ServerError) || e.code !== "JOB_NOT_FOUND") throw e
    // A missing invocation prefix is not a typo of a name: the server's message says it best.
    if (!e.message.startsWith("no job named")) throw e
    let names: string[] = []
    try {
      const answer = await c.request("ListJobs", {
        repo_root: address.repo_root,
        ...(address.invocation_prefix !== undefined && { invocation_prefix: address.invocation_prefix }),
        limit: SUGGESTION_POOL
      })
      names = expectKind(answer, "Jobs").jobs.map((j) => j.name)
    } catch {
      throw e // no list, no suggestion: the original answer stands
    }
    const where = address.invocation_prefix === undefined ? "" : ` in invocation ${address.invocation_prefix}`
    throw new ClientError(`no job named "${address.name}"${where}${didYouMean(address.name, names)}`, EXIT_NOT_FOUND)
  }
}

export const notInRepository = (path: string): ClientError =>
  new ClientError(`${path} is not inside a git repository (cd into one, or pass --repo PATH)`, EXIT_NOT_FOUND)

/** The current worktree's root, or exit 4. */
export const currentWorktree = (cwd: string): string => {
  const root = worktreeRoot(cwd)
  if (root === undefined) throw notInRepository(cwd)
  return root
}

/**
 * The newest job of the worktree: in its newest invocation, the job that started last (a queued one if
 * none started); with `failed`, the first failed, timed-out or crashed job of the newest invocation that has one.
 */
export const newestJob = async (c: Connection, repo: string, worktree: string, failed: boolean): Promise<JobInfo> => {
  const answer = await c.request("ListJobs", {
    repo_root: repo,
    worktree,
    ...(failed && { status: [...FAILED_STATUSES] }),
    limit: failed ? 1 : 200
  })
  const jobs = expectKind(answer, "Jobs").jobs
  if (jobs.length === 0) {
    throw new ClientError(`no ${failed ? "failed " : ""}job recorded for the worktree ${worktree}`, EXIT_NOT_FOUND)
  }
  const newest = jobs.filter((j) => j.invocation_id === jobs[0].invocation_id)
  return newest.reduce((best, j) => ((j.started_at ?? -1) > (best.started_at ?? -1) ? j : best), newest[0])
}

export const addressOf = (job: JobInfo): JobAddress => ({
  repo_root: job.repo_root,
  invocation_prefix: job.invocation_id,
  name: job.name
})
