// `hookctl wait [<job> | --inv PREFIX | --all] [--timeout D]`: blocks until the jobs are terminal. Push-based:
// each unfinished job is followed with TailLogs (status records only), which ends right after the job's
// terminal record — no polling. One line per job as it ends; exit 0 only if every job completed.
import type { JobInfo, RequestPayloads } from "../../protocol/types"
import { isTerminalStatus } from "../../protocol/types"
import { connectToSupervisor } from "../autostart"
import type { Command } from "../cli"
import { expectKind, type Connection } from "../connection"
import { ClientError, EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK } from "../errors"
import { formatDuration } from "../format"
import { jobLabel, reasonText } from "../jobs-view"
import { err, out } from "../output"
import { terminalSafe } from "../../protocol/terminal-text"
import { withConnection } from "./connect"
import { addressOf, currentWorktree, withJobSuggestion } from "./job-lookup"

type WaitCommand = Extract<Command, { kind: "wait" }>

/** `timeout(1)`'s exit status when the time ran out. */
export const EXIT_TIMEOUT = 124
/** Jobs followed at once (each on its own connection; the supervisor allows 256). */
const CONCURRENT_FOLLOWS = 8

/** `a1b2c3d4:lint  failed  exit 2  3s` (pure). */
export const waitLine = (job: JobInfo): string => {
  const parts = [jobLabel(job), job.status]
  if (job.exit_code !== null && job.exit_code !== 0) parts.push(`exit ${job.exit_code}`)
  const reason = reasonText(job)
  if (reason !== "") parts.push(reason)
  if (job.duration_ms !== null) parts.push(formatDuration(job.duration_ms))
  return parts.join("  ")
}

const listed = async (c: Connection, request: RequestPayloads["ListJobs"]) => expectKind(await c.request("ListJobs", request), "Jobs").jobs

/** The jobs the command names, as they are now. */
const targetJobs = async (c: Connection, cmd: WaitCommand, worktree: string | undefined): Promise<ReadonlyArray<JobInfo>> => {
  const t = cmd.target
  switch (t.by) {
    case "job":
      return withJobSuggestion(c, t.job, async () => [expectKind(await c.request("GetJob", { job: t.job }), "Job").job])
    case "invocation": {
      const jobs = await listed(c, { repo_root: cmd.repo, invocation_prefix: t.prefix })
      if (jobs.length === 0) throw new ClientError(`no invocation starting with "${t.prefix}"`, EXIT_NOT_FOUND)
      if (new Set(jobs.map((j) => j.invocation_id)).size > 1) {
        throw new ClientError(`"${t.prefix}" matches several invocations; give more of its id`, EXIT_NOT_FOUND)
      }
      return jobs
    }
    case "all":
      return listed(c, { repo_root: cmd.repo, status: ["queued", "running", "cancelling"] })
    case "newest-invocation": {
      const jobs = await listed(c, { repo_root: cmd.repo, worktree: worktree ?? currentWorktree(t.cwd), limit: 200 })
      if (jobs.length === 0) throw new ClientError("no job recorded for this worktree", EXIT_NOT_FOUND)
      return jobs.filter((j) => j.invocation_id === jobs[0].invocation_id)
    }
  }
}

/** Follows one job's status records until its terminal one (or a shutdown), then reads its final state. */
const untilTerminal = async (c: Connection, job: JobInfo): Promise<JobInfo> => {
  const address = addressOf(job)
  for await (const answer of c.stream("TailLogs", { job: address, follow: true, kinds: ["status"] })) {
    if (answer.kind === "StreamEnd") break
  }
  return expectKind(await c.request("GetJob", { job: address }), "Job").job
}

export const runWait = (cmd: WaitCommand) => {
  // Outside a repository there is no "newest invocation here": exit 4 before reaching for the supervisor.
  const worktree = cmd.target.by === "newest-invocation" ? currentWorktree(cmd.target.cwd) : undefined
  return withConnection(async (first) => {
    const jobs = await targetJobs(first, cmd, worktree)
    if (jobs.length === 0) {
      await err("hookctl: nothing to wait for (no job is queued or running)\n")
      return EXIT_OK
    }
    const results = new Map<string, JobInfo>()
    const pending = jobs.filter((j) => !isTerminalStatus(j.status))
    for (const job of jobs.filter((j) => isTerminalStatus(j.status))) {
      results.set(jobLabel(job), job)
      await out(terminalSafe(waitLine(job)) + "\n")
    }
    if (pending.length > 0) {
      const names = pending.map((j) => terminalSafe(jobLabel(j)))
      await err(`hookctl: waiting for ${names.length === 1 ? names[0] : `${names.length} jobs: ${names.join(", ")}`}\n`)
    }
    const extra: Connection[] = []
    let timedOut = false
    const follower = async (c: Connection) => {
      for (let job = pending.shift(); job !== undefined && !timedOut; job = pending.shift()) {
        const final = await untilTerminal(c, job)
        if (timedOut) return
        results.set(jobLabel(final), final)
        await out(terminalSafe(waitLine(final)) + "\n")
      }
    }
    const followers = async () => {
      const connections = [first]
      for (let i = 1; i < Math.min(CONCURRENT_FOLLOWS, pending.length); i++) {
        const c = await connectToSupervisor(process.env, false)
        extra.push(c)
        connections.push(c)
      }
      await Promise.all(connections.map(follower))
    }
    let timer: NodeJS.Timeout | undefined
    const deadline =
      cmd.timeoutMs === undefined
        ? new Promise<never>(() => undefined)
        : new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), cmd.timeoutMs)))
    try {
      const following = followers()
      following.catch(() => undefined) // after a timeout its connections are closed under it: not an error
      const outcome = await Promise.race([following, deadline])
      if (outcome === "timeout") {
        timedOut = true
        const unfinished = jobs.filter((j) => !results.has(jobLabel(j))).map((j) => terminalSafe(jobLabel(j)))
        await err(`hookctl: timed out after ${formatDuration(cmd.timeoutMs ?? 0)}; still unfinished: ${unfinished.join(", ")}\n`)
        return EXIT_TIMEOUT
      }
    } finally {
      clearTimeout(timer)
      for (const c of extra) c.close()
    }
    return [...results.values()].every((j) => j.status === "completed") ? EXIT_OK : EXIT_FAILED
  })
}
