// `hookctl ls`: ListJobs (in pages), shown as a fitted table (with a "… N more" footer) or a script format;
// `--watch` redraws the table on an interval until Ctrl-C.
import { homedir } from "node:os"
import type { JobInfo, RequestPayloads, ResponseEnvelope, UnavailableRepo } from "../../protocol/types"
import type { Command } from "../cli"
import { expectKind, type Connection } from "../connection"
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK } from "../errors"
import { formatBytes, formatRelativeTime } from "../format"
import { moreFooter, renderJobsTable } from "../jobs-view"
import { formatLeftOut, mergeLeftOut } from "../left-out"
import { DEFAULT_LIST_LIMIT, FAILED_STATUSES } from "../list-defaults"
import { renderMachineFormat } from "../list-formats"
import { colourEnabled, errLines, out, outLines, terminalWidth } from "../output"
import { withConnection, worktreeFilter } from "./connect"
import { isRepoValue, repoOf } from "../repo-option"

type LsCommand = Extract<Command, { kind: "ls" }>

const listRequest = (cmd: LsCommand): RequestPayloads["ListJobs"] => {
  const q = cmd.query
  return {
    ...(q.allRepos ? { all_repos: true } : { repo_root: cmd.repo }),
    ...(q.worktree !== undefined && { worktree: worktreeFilter(q.worktree) }),
    ...(q.hook !== undefined && { hook: q.hook }),
    ...(q.statuses.length > 0 && { status: q.statuses }),
    ...(q.tag !== undefined && { tag: q.tag }),
    ...(q.invocationPrefix !== undefined && { invocation_prefix: q.invocationPrefix }),
    ...(q.limit > 0 && { limit: q.limit }),
    // --failed: what no hook run has told you about yet comes first.
    ...(q.failed && { unnoticed_first: true })
  }
}

/**
 * Page after page up to the limit: the supervisor keeps each answer far below the frame cap, so a
 * listing of any size works. An older supervisor ignores `paged` and answers once, without a cursor.
 * With `withStatus`, a Status goes out in the same write as the first page (the table's sweep footer
 * without a round trip of its own); its answer comes back as `status`.
 */
const fetchJobs = async (c: Connection, request: RequestPayloads["ListJobs"], withStatus = false) => {
  const jobs: JobInfo[] = []
  const leftOut = new Map<string, UnavailableRepo>()
  let total: number | undefined
  let cursor: string | undefined
  let status: ResponseEnvelope | undefined
  for (;;) {
    const page: RequestPayloads["ListJobs"] = {
      ...request,
      paged: true,
      ...(cursor !== undefined && { cursor }),
      ...(request.limit !== undefined && { limit: request.limit - jobs.length })
    }
    let answered: ResponseEnvelope
    if (cursor === undefined && withStatus) {
      const both = await c.requestWithFollower({ req: "ListJobs", payload: page }, { req: "Status", payload: {} })
      answered = both.first
      status = both.second
    } else {
      answered = await c.request("ListJobs", page)
    }
    const answer = expectKind(answered, "Jobs")
    if (cursor === undefined) total = answer.total
    for (const job of answer.jobs) jobs.push(job)
    mergeLeftOut(leftOut, answer.unavailable)
    cursor = answer.next_cursor
    if (cursor === undefined || (request.limit !== undefined && jobs.length >= request.limit)) return { jobs, total, status, leftOut }
  }
}

const tableLines = (cmd: LsCommand, jobs: ReadonlyArray<JobInfo>, total: number | undefined): string[] => [
  ...renderJobsTable(jobs, {
    now: Date.now(),
    width: terminalWidth(),
    colour: colourEnabled(),
    home: homedir(),
    allRepos: cmd.query.allRepos
  }),
  ...moreFooter(jobs.length, total)
]

export const runLs = (cmd: LsCommand) =>
  withConnection(async (c) => {
    const request = listRequest(cmd)
    if (cmd.watchMs !== undefined) return watch(c, cmd, request, cmd.watchMs)
    const table = cmd.format === "table"
    const { jobs, total, status, leftOut } = await fetchJobs(c, request, table)
    // A repository --all-repos could not read: the others are listed, it is named on stderr, exit 1.
    const exit = leftOut.size > 0 ? EXIT_FAILED : EXIT_OK
    if (!table) {
      await out(await renderMachineFormat(jobs, cmd.format))
      await errLines(formatLeftOut(leftOut.values()))
      return exit
    }
    await outLines([...tableLines(cmd, jobs, total), ...sweepFooter(status)])
    await errLines(formatLeftOut(leftOut.values()))
    return exit
  })

/**
 * `last sweep 3m ago: freed 2 invocations, 420 B` — from the Status answer; nothing if the supervisor
 * has no sweep to report, or the Status failed (an older supervisor): the table stands on its own.
 */
const sweepFooter = (answer: ResponseEnvelope | undefined): string[] => {
  const sweep = answer?.kind === "SupervisorStatus" ? answer.payload.last_sweep : undefined
  if (sweep === undefined) return []
  const what = `${sweep.invocations} invocation${sweep.invocations === 1 ? "" : "s"}, ${formatBytes(sweep.bytes)}`
  return [`last sweep ${formatRelativeTime(sweep.at, Date.now())}: freed ${what}`]
}

/** Cursor home and clear the screen: each frame replaces the last on a terminal. */
const CLEAR = "\x1b[H\x1b[2J"

/**
 * Polls ListJobs every `intervalMs` (SPEC allows ≤ 1 s polling) and redraws. On a terminal each frame
 * replaces the previous one; into a pipe frames follow each other. Ctrl-C ends it (exit 130).
 */
const watch = async (c: Connection, cmd: LsCommand, request: RequestPayloads["ListJobs"], intervalMs: number): Promise<number> => {
  let stop: () => void = () => undefined
  const interrupted = new Promise<void>((resolve) => (stop = resolve))
  process.once("SIGINT", stop)
  const tty = process.stdout.isTTY === true
  try {
    for (;;) {
      const { jobs, total, leftOut } = await fetchJobs(c, request)
      const heading = `every ${intervalMs >= 1000 ? `${intervalMs / 1000}s` : `${intervalMs}ms`} · ${new Date().toLocaleTimeString()} · Ctrl-C to stop`
      await out((tty ? CLEAR : "") + [heading, "", ...tableLines(cmd, jobs, total), ...formatLeftOut(leftOut.values())].join("\n") + "\n" + (tty ? "" : "\n"))
      let timer: NodeJS.Timeout | undefined
      const ticked = await Promise.race([
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), intervalMs))),
        interrupted.then(() => false)
      ])
      clearTimeout(timer)
      if (!ticked) return EXIT_INTERRUPTED
    }
  } finally {
    process.removeListener("SIGINT", stop)
  }
}

/**
 * The ls bundle's own reading of its command line (src/client/hot/ls.ts): `ls` with `--json`,
 * `--all-repos`, `--failed`, `--limit N` after it and `--repo DIR`, each at most once; undefined for
 * anything else, which the whole client's parser reads instead (its usage errors stay the only ones).
 */
export const readLsCommandLine = (argv: ReadonlyArray<string>, cwd: string): LsCommand | undefined => {
  let ls = false
  let repo: string | undefined
  let limit: number | undefined
  const flags = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    const value = argv[i + 1]
    if (word === "ls" && !ls) ls = true
    else if (word === "--repo" && repo === undefined && isRepoValue(value)) repo = argv[++i]
    else if (word === "--limit" && ls && limit === undefined && value !== undefined && /^\d+$/.test(value)) limit = Number(argv[++i])
    else if (ls && SIMPLE_LS_FLAGS.has(word) && !flags.has(word)) flags.add(word)
    else return undefined
  }
  if (!ls) return undefined
  const failed = flags.has("--failed")
  return {
    kind: "ls",
    repo: repoOf(cwd, repo),
    format: flags.has("--json") ? "json" : "table",
    query: {
      allRepos: flags.has("--all-repos"),
      statuses: failed ? FAILED_STATUSES : [],
      limit: limit ?? DEFAULT_LIST_LIMIT,
      ...(failed && { failed: true as const })
    }
  }
}

const SIMPLE_LS_FLAGS: ReadonlySet<string> = new Set(["--json", "--all-repos", "--failed"])
