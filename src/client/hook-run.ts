// A waited hook run as `hookctl run-hook` prints it, apart from where its answers come from and where
// its bytes go: the shim's node process (commands/run-hook.ts: the socket, process.stdout/stderr) and
// the supervisor serving a wait shim without node (src/spool/wait-session.ts: its own RunJobs, the
// shim's fifos) run this same code, so both print the same bytes and exit with the same code.
// Effect-free (the client's rule): plain promises, no supervisor imports.
import { bypassHint, NON_BLOCKING_HOOKS } from "../config/hook-names"
import { isTerminalRecord, type JobInfo, type RequestPayloads, type ResponseEnvelope } from "../protocol/types"
import { terminalSafe } from "../protocol/terminal-text"
import type { Command } from "./cli"
import { expectKind } from "./connection"
import { ClientError, EXIT_FAILED, EXIT_OK, failureReport, ServerError, UnreachableError } from "./errors"
import { decideWithoutSupervisor } from "./hook-config"
import { hookSummary, useSymbols } from "./hook-summary"
import { formatFailureNotices } from "./notices"
import { formatStatusEvent, isCompletedEvent } from "./commands/logs"

export type RunHookCommand = Extract<Command, { kind: "run-hook" }>

/** Where a hook run's text goes; a returned promise resolves once the reader took it (backpressure). */
export interface HookIo {
  readonly out: (text: string) => Promise<void> | undefined
  readonly err: (text: string) => Promise<void> | undefined
  /** Whether the hook's stderr is a terminal (the summary's symbols); asked only when a summary is printed. */
  readonly stderrIsTTY: () => boolean | undefined
  /** The hook's environment (NO_COLOR, the locale). */
  readonly env: Readonly<Record<string, string | undefined>>
}

export const errLinesTo = (io: HookIo, lines: ReadonlyArray<string>) => (lines.length === 0 ? undefined : io.err(lines.join("\n") + "\n"))

/** `[name] ` before every line of a chunk, when prefixing. */
export const prefixLines = (text: string, prefix: string): string =>
  prefix === "" ? text : text.split("\n").map((line) => prefix + line).join("\n")

/** The answers to one RunJobs{wait:true}; `whileHookdWorks` runs once the request is on its way. */
export type SendRunJobs = (payload: RequestPayloads["RunJobs"], whileHookdWorks: () => Promise<void>) => AsyncIterable<ResponseEnvelope>

export interface HookRun {
  readonly cmd: RunHookCommand
  readonly worktree: string
  readonly payload: RequestPayloads["RunJobs"]
  readonly io: HookIo
  readonly send: SendRunJobs
  /** The summary's jobs when StreamEnd carried none (a supervisor of an older version). */
  readonly listInvocation: (invocation: string) => Promise<ReadonlyArray<JobInfo>>
  /** The shim reminders, said once: before the first answer is read, or with a failure. */
  readonly remind: () => Promise<void>
}

const streamJobs = async (run: HookRun, onAccepted: () => void): Promise<number> => {
  const { io } = run
  let prefixed = false
  let outcome: string | undefined
  let invocation: string | undefined
  let declared: ReadonlyArray<string> = []
  let ended: ReadonlyArray<JobInfo> | undefined
  for await (const answer of run.send(run.payload, run.remind)) {
    if (answer.kind === "RunAccepted") {
      onAccepted()
      if (answer.payload.notices !== undefined) await errLinesTo(io, formatFailureNotices(answer.payload.notices, Date.now()))
      invocation = answer.payload.invocation_id
      declared = answer.payload.jobs.map((job) => job.name)
      prefixed = answer.payload.jobs.length > 1
      continue
    }
    if (answer.kind === "StreamEnd") {
      outcome = answer.payload.outcome
      ended = answer.payload.jobs
      break
    }
    const { record, job } = expectKind(answer, "StreamFrame")
    const name = job === undefined ? undefined : terminalSafe(job)
    const prefix = prefixed && name !== undefined ? `[${name}] ` : ""
    if (record.kind === "stdout") await io.out(prefixLines(record.data, prefix) + "\n")
    else if (record.kind === "stderr") await io.err(prefixLines(record.data, prefix) + "\n")
    else if ((isTerminalRecord(record) && !isCompletedEvent(record.data)) || (record.kind === "status" && record.data.event === "attempt_failed")) {
      // Say why a commit is being refused, or why a job's output starts again (retry:): the job's own output may not.
      await io.err(`${formatStatusEvent(record.data)}${name !== undefined ? ` (${name})` : ""}\n`)
    }
  }
  if (invocation !== undefined && declared.length > 0) await printSummary(run, invocation, declared, ended)
  return outcome === "completed" ? EXIT_OK : EXIT_FAILED
}

/**
 * The summary block after the waited jobs ended, from the jobs StreamEnd carries; a supervisor of
 * an older version sends none, and is asked with one ListJobs of this invocation. It only informs,
 * so a failure to fetch it never changes the hook's outcome — the jobs' own output and status lines
 * above already told the story.
 */
const printSummary = async (run: HookRun, invocation: string, declared: ReadonlyArray<string>, ended: ReadonlyArray<JobInfo> | undefined): Promise<void> => {
  let jobs: ReadonlyArray<JobInfo>
  try {
    jobs = ended ?? (await run.listInvocation(invocation))
  } catch {
    return
  }
  // In the order RunAccepted listed them (the config's order), not the store's newest-first.
  const position = (name: string) => declared.indexOf(name)
  const ordered = [...jobs].sort((a, b) => position(a.name) - position(b.name))
  await errLinesTo(run.io, hookSummary(run.cmd.hook, ordered, useSymbols(run.io.stderrIsTTY(), run.io.env)))
}

/**
 * Runs the hook's RunJobs to its end. A broken hookd.yml answers CONFIG_INVALID, which is reported
 * as file:line: path: message, exit 1 — unless the hook only has background jobs: like an
 * unreachable supervisor, that never blocks git. Throws what hookFailure reports.
 */
export const runHookRequest = async (run: HookRun): Promise<number> => {
  const { cmd, worktree, io } = run
  let accepted = false
  try {
    return await streamJobs(run, () => (accepted = true))
  } catch (e) {
    await run.remind()
    // The supervisor answered nothing in time, or stayed BUSY past hookctl's retries (connection.ts):
    // treat it like an unreachable one — background-only work never blocks git.
    if ((e instanceof UnreachableError || (e instanceof ServerError && e.code === "BUSY")) && !accepted) {
      if ((await decideWithoutSupervisor(worktree, cmd.hook, cmd.mode)) === "foreground") throw e
      await io.err(`hookd: ${terminalSafe(e.message, { keepNewlines: true })}; background jobs of ${cmd.hook} may not have started\n`)
      return EXIT_OK
    }
    if (!(e instanceof ServerError && e.code === "CONFIG_INVALID")) throw e
    if ((await decideWithoutSupervisor(worktree, cmd.hook, cmd.mode)) !== "background-only") throw e
    await io.err(`hookd: ${terminalSafe(e.message, { keepNewlines: true })}\nhookd: background jobs of ${cmd.hook} were not started (fix the configuration above)\n`)
    return EXIT_OK
  }
}

/** The words before a blocking hook's bypass hint; a message that has them already is not given them twice. */
const SKIP_ONCE = "to skip this hook once"
const hasBypass = (message: string): boolean => message.toLowerCase().includes(SKIP_ONCE)

/**
 * A post-hook never fails git (SPEC §8): any failure of hookd itself — bad YAML, invalid config,
 * no supervisor, an internal error — becomes a warning with the fix, and the hook exits 0.
 * A blocking hook fails as before, with the way past it once (thrown, for failureReport).
 */
export const hookFailure = async (cmd: RunHookCommand, e: unknown, io: HookIo): Promise<number> => {
  const message = terminalSafe(e instanceof Error ? e.message : String(e), { keepNewlines: true })
  if (NON_BLOCKING_HOOKS.has(cmd.hook)) {
    await io.err(`hookd: ${message}\nhookd: the ${cmd.hook} hook ran no jobs; git goes on (fix the problem above — \`hookctl ls\` shows what ran)\n`)
    return EXIT_OK
  }
  if (e instanceof ServerError && e.code === "CONFIG_INVALID") {
    throw new ClientError(`${e.message}\nThe ${cmd.hook} hook cannot run until the configuration is fixed; to bypass it once: ${bypassHint(cmd.hook)}`, EXIT_FAILED)
  }
  // Any other failure of hookd itself (it died mid-request, answered an internal error, cannot use
  // the repository's database) blocks a blocking hook too: say so, and how to get past it once.
  if ((e instanceof UnreachableError || e instanceof ServerError) && !hasBypass(e.message)) {
    throw new ClientError(
      `${e.message}\nThe ${cmd.hook} hook could not run its jobs: a failure of hookd, not of your jobs (\`hookctl status\` and the supervisor's hookd.log say more); ${SKIP_ONCE}: ${bypassHint(cmd.hook)}`,
      e.exitCode
    )
  }
  throw e
}

/** A whole hook run ending as hookctl's would: its code, its failure reported on io's stderr. */
export const runHookReported = async (run: HookRun): Promise<number> => {
  try {
    try {
      return await runHookRequest(run)
    } catch (e) {
      return await hookFailure(run.cmd, e, run.io)
    }
  } catch (e) {
    const { text, code } = failureReport(e)
    if (text !== "") await run.io.err(text)
    return code
  }
}

/** What a hook run that fails with `e` prints on stderr, and its exit code (as runHookReported ends). */
export const failureText = async (cmd: RunHookCommand, e: unknown, env: HookIo["env"]): Promise<{ readonly text: string; readonly code: number }> => {
  let text = ""
  const io: HookIo = { out: () => undefined, err: (t) => void (text += t), stderrIsTTY: () => false, env }
  try {
    const code = await hookFailure(cmd, e, io)
    return { text, code }
  } catch (thrown) {
    const report = failureReport(thrown)
    return { text: text + report.text, code: report.code }
  }
}
