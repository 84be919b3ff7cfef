// `hookctl run-hook <hook> -- <args>`: what the shims exec. Sends RunJobs{wait:true}, prints the
// waited jobs' output live and exits with their outcome. When several jobs were accepted each
// line is prefixed `[name] ` (RunAccepted does not say which jobs are waited, so "several
// accepted" is the rule). Background work never blocks git: with no supervisor, a hook without
// foreground jobs only warns.
import { isTerminalRecord, type JobInfo, type RequestPayloads, type ResponseEnvelope } from "../../protocol/types"
import { connectToSupervisor, howToStart } from "../autostart"
import type { Command } from "../cli"
import { expectKind, type Connection } from "../connection"
import { bypassHint, HOOK_WORD_PATTERN, NON_BLOCKING_HOOKS } from "../../config/hook-names"
import { ClientError, EXIT_FAILED, EXIT_OK, ServerError, UnreachableError, UnsafeSocketError } from "../errors"
import { hookWorktree } from "../git"
import { decideWithoutSupervisor } from "../hook-config"
import { shimReminders } from "../hook-inventory"
import { stateDir } from "../../protocol/paths"
import { err, errLines, out } from "../output"
import { formatFailureNotices } from "../notices"
import { hookSummary, useSymbols } from "../hook-summary"
import { terminalSafe } from "../../protocol/terminal-text"
import { formatStatusEvent, isCompletedEvent } from "./logs"

type RunHookCommand = Extract<Command, { kind: "run-hook" }>

/** Hooks git feeds on stdin (githooks(5)); for the others stdin is left alone. */
export const STDIN_HOOKS: ReadonlySet<string> = new Set([
  "pre-push",
  "pre-receive",
  "post-rewrite",
  "post-receive",
  "reference-transaction",
  "proc-receive"
])

/** Reads the hook's stdin when git provides one; never blocks on a terminal. */
const readHookStdin = async (hook: string): Promise<string | undefined> => {
  if (!STDIN_HOOKS.has(hook) || process.stdin.isTTY) return undefined
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString("utf8")
}

const definedEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))

/** `[name] ` before every line of a chunk, when prefixing. */
export const prefixLines = (text: string, prefix: string): string =>
  prefix === "" ? text : text.split("\n").map((line) => prefix + line).join("\n")

/**
 * How long a hook waits for the supervisor to accept its jobs (it loads hookd.yml and evaluates
 * conditions first). Past that the supervisor counts as unreachable: a frozen hookd never hangs git.
 */
const acceptTimeoutMs = (): number => {
  const fromEnv = Number(process.env.HOOKD_ACCEPT_TIMEOUT_MS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 30_000
}

/**
 * Sends RunJobs and hands its answers to the loop; `whileHookdWorks` runs once the request is on its
 * way, before the first answer is read (the shim reminders: issue 13, their file reads no longer
 * come before the request).
 */
async function* runJobsAnswers(
  connection: Connection,
  payload: RequestPayloads["RunJobs"],
  whileHookdWorks: () => Promise<void>
): AsyncGenerator<ResponseEnvelope> {
  const answers = connection.stream("RunJobs", payload, { firstAnswerTimeoutMs: acceptTimeoutMs() })
  const first = answers.next() // sends the request now
  first.catch(() => {}) // read below, once the reminders are out
  await whileHookdWorks()
  try {
    for (let step = await first; !step.done; step = await answers.next()) yield step.value
  } finally {
    await answers.return(undefined)
  }
}

const streamJobs = async (
  connection: Connection,
  cmd: RunHookCommand,
  worktree: string,
  stdin: string | undefined,
  onAccepted: () => void,
  whileHookdWorks: () => Promise<void>
) => {
  let prefixed = false
  let outcome: string | undefined
  let invocation: string | undefined
  let declared: ReadonlyArray<string> = []
  let ended: ReadonlyArray<JobInfo> | undefined
  const payload: RequestPayloads["RunJobs"] = {
    repo_root: cmd.repo,
    worktree,
    hook: cmd.hook,
    args: cmd.args,
    ...(stdin !== undefined && { stdin }),
    env: cmd.force ? { ...definedEnv(), HOOKD_FORCE: "1" } : definedEnv(),
    mode: cmd.mode,
    wait: true
  }
  for await (const answer of runJobsAnswers(connection, payload, whileHookdWorks)) {
    if (answer.kind === "RunAccepted") {
      onAccepted()
      if (answer.payload.notices !== undefined) await errLines(formatFailureNotices(answer.payload.notices, Date.now()))
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
    if (record.kind === "stdout") await out(prefixLines(record.data, prefix) + "\n")
    else if (record.kind === "stderr") await err(prefixLines(record.data, prefix) + "\n")
    else if ((isTerminalRecord(record) && !isCompletedEvent(record.data)) || (record.kind === "status" && record.data.event === "attempt_failed")) {
      // Say why a commit is being refused, or why a job's output starts again (retry:): the job's own output may not.
      await err(`${formatStatusEvent(record.data)}${name !== undefined ? ` (${name})` : ""}\n`)
    }
  }
  if (invocation !== undefined && declared.length > 0) await printSummary(connection, cmd, invocation, declared, ended)
  return outcome === "completed" ? EXIT_OK : EXIT_FAILED
}

/**
 * The summary block after the waited jobs ended, from the jobs StreamEnd carries; a supervisor of
 * an older version sends none, and is asked with one ListJobs of this invocation. It only informs,
 * so a failure to fetch it never changes the hook's outcome — the jobs' own output and status lines
 * above already told the story.
 */
const printSummary = async (
  connection: Connection,
  cmd: RunHookCommand,
  invocation: string,
  declared: ReadonlyArray<string>,
  ended: ReadonlyArray<JobInfo> | undefined
): Promise<void> => {
  let jobs: ReadonlyArray<JobInfo>
  try {
    jobs = ended ?? (await listInvocation(connection, cmd, invocation))
  } catch {
    return
  }
  // In the order RunAccepted listed them (the config's order), not the store's newest-first.
  const position = (name: string) => declared.indexOf(name)
  const ordered = [...jobs].sort((a, b) => position(a.name) - position(b.name))
  await errLines(hookSummary(cmd.hook, ordered, useSymbols(process.stderr.isTTY, process.env)))
}

const listInvocation = async (connection: Connection, cmd: RunHookCommand, invocation: string): Promise<ReadonlyArray<JobInfo>> => {
  const answer = await connection.request("ListJobs", { repo_root: cmd.repo, invocation_prefix: invocation.slice(0, 16) })
  return expectKind(answer, "Jobs").jobs.filter((job) => job.invocation_id === invocation)
}

/**
 * A post-hook never fails git (SPEC §8): any failure of hookd itself — bad YAML, invalid config,
 * no supervisor, an internal error — becomes a warning with the fix, and the hook exits 0.
 * A blocking hook fails as before, with the way past it once.
 */
/** The words before a blocking hook's bypass hint; a message that has them already is not given them twice. */
const SKIP_ONCE = "to skip this hook once"
const hasBypass = (message: string): boolean => message.toLowerCase().includes(SKIP_ONCE)

export const runHook = async (cmd: RunHookCommand): Promise<number> => {
  try {
    return await runHookJobs(cmd)
  } catch (e) {
    const message = terminalSafe(e instanceof Error ? e.message : String(e), { keepNewlines: true })
    if (NON_BLOCKING_HOOKS.has(cmd.hook)) {
      await err(`hookd: ${message}\nhookd: the ${cmd.hook} hook ran no jobs; git goes on (fix the problem above — \`hookctl ls\` shows what ran)\n`)
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
}

const runHookJobs = async (cmd: RunHookCommand): Promise<number> => {
  // cmd.repo is the current directory unless --repo: git runs hooks from the worktree root, a
  // person may pass --repo from anywhere, and the hook's config is that worktree's.
  const worktree = hookWorktree(cmd.repo) ?? cmd.repo
  // Said once per change of the config, before the hook's own output; read while hookd starts the jobs.
  let reminded = false
  const remind = async () => {
    if (reminded) return
    reminded = true
    const reminders = await shimReminders(worktree, cmd.hook, stateDir())
    if (reminders.length > 0) await errLines(reminders.map((line) => terminalSafe(line)))
  }
  const stdin = await readHookStdin(cmd.hook)
  let connection: Connection
  try {
    connection = await connectToSupervisor()
  } catch (e) {
    await remind()
    if (!(e instanceof UnreachableError)) throw e
    const decision = await decideWithoutSupervisor(worktree, cmd.hook, cmd.mode)
    if (decision === "foreground") {
      throw new UnreachableError(
        `the ${cmd.hook} hook has jobs git must wait for, but the hookd supervisor is unreachable.\n` +
          `${e.message}\n(To skip this hook once: ${bypassHint(cmd.hook)}.)`
      )
    }
    const why = e instanceof UnsafeSocketError ? terminalSafe(e.message, { keepNewlines: true }) : `supervisor unreachable`
    await err(`hookd: ${why}; background jobs of ${cmd.hook} were not started (${howToStart()})\n`)
    return EXIT_OK
  }
  // A broken hookd.yml answers CONFIG_INVALID, which main prints as file:line: path: message, exit 1
  // — unless the hook only has background jobs: like an unreachable supervisor, that never blocks git.
  let accepted = false
  try {
    return await streamJobs(connection, cmd, worktree, stdin, () => (accepted = true), remind)
  } catch (e) {
    await remind()
    // The supervisor answered nothing in time, or stayed BUSY past hookctl's retries (connection.ts):
    // treat it like an unreachable one — background-only work never blocks git.
    if ((e instanceof UnreachableError || (e instanceof ServerError && e.code === "BUSY")) && !accepted) {
      if ((await decideWithoutSupervisor(worktree, cmd.hook, cmd.mode)) === "foreground") throw e
      await err(`hookd: ${terminalSafe(e.message, { keepNewlines: true })}; background jobs of ${cmd.hook} may not have started\n`)
      return EXIT_OK
    }
    if (!(e instanceof ServerError && e.code === "CONFIG_INVALID")) throw e
    if ((await decideWithoutSupervisor(worktree, cmd.hook, cmd.mode)) !== "background-only") throw e
    await err(`hookd: ${terminalSafe(e.message, { keepNewlines: true })}\nhookd: background jobs of ${cmd.hook} were not started (fix the configuration above)\n`)
    return EXIT_OK
  } finally {
    connection.close()
  }
}

/**
 * The run-hook bundle's own reading of its command line (src/client/hot/run-hook.ts): what the
 * shims send — `run-hook <hook> -- <git's arguments>` — and nothing else; undefined for any other
 * shape (--mode, --force, --repo, help…), which the whole client's parser reads instead, so its
 * usage errors stay the only ones.
 */
export const readShimCommandLine = (argv: ReadonlyArray<string>, cwd: string): Extract<Command, { kind: "run-hook" }> | undefined => {
  const [word, hook, terminator] = argv
  if (word !== "run-hook" || hook === undefined || !HOOK_WORD_PATTERN.test(hook)) return undefined
  if (argv.length > 2 && terminator !== "--") return undefined
  return { kind: "run-hook", repo: cwd, hook, mode: "auto", args: argv.slice(3), force: false }
}
