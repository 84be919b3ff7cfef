// The request/response commands: cancel, retry, prune, shutdown (status is in status.ts, ls in ls.ts).
import type { Command } from "../cli"
import type { ResponsePayloads } from "../../protocol/types"
import { socketPath } from "../../protocol/paths"
import { openSocket } from "../../protocol/client"
import { Connection, expectKind } from "../connection"
import { asUnsafeSocket, EXIT_FAILED, EXIT_OK, UnreachableError } from "../errors"
import { withConnection, worktreeFilter } from "./connect"
import { withJobSuggestion } from "./job-lookup"
import { formatBytes } from "../format"
import { formatLeftOut } from "../left-out"
import { errLines, out, outLines } from "../output"
import { terminalSafe } from "../../protocol/terminal-text"

type Of<K extends Command["kind"]> = Extract<Command, { kind: K }>

const reportCancelled = async ({ count, names, unavailable }: ResponsePayloads["Cancelled"]) => {
  await out(count === 0 ? "nothing to cancel\n" : `cancelled ${count} job${count === 1 ? "" : "s"}: ${names.map((n) => terminalSafe(n)).join(", ")}\n`)
  // A repository whose jobs could not be read (a damaged database) was left out: say so, exit 1.
  const leftOut = formatLeftOut(unavailable ?? [])
  await errLines(leftOut)
  return leftOut.length > 0 ? EXIT_FAILED : EXIT_OK
}

export const runCancel = (cmd: Of<"cancel">) =>
  withConnection(async (c) => {
    const t = cmd.target
    const answer =
      t.by === "job"
        ? await withJobSuggestion(c, t.job, () => c.request("CancelJob", { job: t.job }))
        : t.by === "all"
          ? await c.request("CancelAll", t.allRepos ? {} : { repo_root: cmd.repo })
          : await c.request("CancelMatching", {
              repo_root: cmd.repo,
              ...(t.filters.hook !== undefined && { hook: t.filters.hook }),
              ...(t.filters.worktree !== undefined && { worktree: worktreeFilter(t.filters.worktree) }),
              ...(t.filters.tag !== undefined && { tag: t.filters.tag }),
              ...(t.filters.invocationPrefix !== undefined && { invocation_prefix: t.filters.invocationPrefix }),
              ...(t.filters.olderThanSecs !== undefined && { older_than_secs: t.filters.olderThanSecs })
            })
    return reportCancelled(expectKind(answer, "Cancelled"))
  })

const definedEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))

export const runRetry = (cmd: Of<"retry">) =>
  withConnection(async (c) => {
    const t = cmd.target
    const retry = () =>
      c.request(
        "Retry",
        // The env supplies the secret-named variables that were scrubbed from the stored job env.
        "job" in t
          ? { repo_root: cmd.repo, job: t.job, env: definedEnv() }
          : { repo_root: cmd.repo, invocation_prefix: t.invocationPrefix, env: definedEnv() }
      )
    const answer = "job" in t ? await withJobSuggestion(c, t.job, retry) : await retry()
    const accepted = expectKind(answer, "RunAccepted")
    const jobs = accepted.jobs.map((j) => `${accepted.invocation_id.slice(0, 8)}:${j.name} (${j.status})`)
    await out(`retrying as invocation ${accepted.invocation_id}: ${jobs.length === 0 ? "no jobs" : jobs.map((n) => terminalSafe(n)).join(", ")}\n`)
    return EXIT_OK
  })

export const runPrune = (cmd: Of<"prune">) =>
  withConnection(async (c) => {
    const answer = await c.request("Prune", {
      ...(cmd.allRepos ? {} : { repo_root: cmd.repo }),
      dry_run: cmd.dryRun,
      ...(cmd.olderThanSecs !== undefined && { older_than_secs: cmd.olderThanSecs })
    })
    const p = expectKind(answer, "Pruned")
    // A repository --all-repos could not read: the others are pruned, it is named on stderr, exit 1.
    const leftOut = formatLeftOut(p.unavailable ?? [])
    const exit = leftOut.length > 0 ? EXIT_FAILED : EXIT_OK
    if (cmd.json) {
      await out(JSON.stringify(p) + "\n")
      await errLines(leftOut)
      return exit
    }
    const verb = p.dry_run ? "would prune" : "pruned"
    await outLines([
      ...p.items.map((i) => terminalSafe(`${verb} ${i.invocation_id.slice(0, 8)}  ${i.worktree}  ${i.jobs} jobs, ${formatBytes(i.bytes)} (${i.reason})`)),
      `${verb} ${p.invocations} invocation${p.invocations === 1 ? "" : "s"}, ${p.jobs} job${p.jobs === 1 ? "" : "s"}, ${formatBytes(p.bytes)}`
    ])
    await errLines(leftOut)
    return exit
  })

/** Never autostarts: starting a supervisor just to stop it would be silly. */
export const runShutdown = async () => {
  const path = socketPath()
  let connection: Connection
  try {
    connection = new Connection(await openSocket(path), path)
  } catch (e) {
    const unsafe = asUnsafeSocket(e)
    if (unsafe) throw unsafe
    const errno = (e as { errno?: string }).errno
    throw new UnreachableError(
      errno === "ENOENT" || errno === "ECONNREFUSED"
        ? `hookd is not running (nothing listens at ${path})`
        : `no hookd supervisor answers at ${path} (${(e as Error).message})`
    )
  }
  try {
    const ack = expectKind(await connection.request("Shutdown", {}), "Ack")
    await out(`${terminalSafe(ack.message)}\n`)
    return EXIT_OK
  } finally {
    connection.close()
  }
}
