// `hookctl run-hook <hook> -- <args>`: what the shims exec. Sends RunJobs{wait:true}, prints the
// waited jobs' output live and exits with their outcome. When several jobs were accepted each
// line is prefixed `[name] ` (RunAccepted does not say which jobs are waited, so "several
// accepted" is the rule). Background work never blocks git: with no supervisor, a hook without
// foreground jobs only warns.
import type { JobInfo, RequestPayloads, ResponseEnvelope } from "../../protocol/types"
import { connectToSupervisor, howToStart } from "../autostart"
import type { Command } from "../cli"
import { expectKind, type Connection } from "../connection"
import { bypassHint, HOOK_WORD_PATTERN } from "../../config/hook-names"
import { EXIT_OK, UnreachableError, UnsafeSocketError } from "../errors"
import { hookWorktree } from "../git"
import { decideWithoutSupervisor } from "../hook-config"
import { shimReminders } from "../hook-inventory"
import { stateDir } from "../../protocol/paths"
import { fdIsTTY } from "../../protocol/raw-pipe"
import { err, errLines, out } from "../output"
import { terminalSafe } from "../../protocol/terminal-text"
import { hookFailure, runHookRequest, type HookIo, type RunHookCommand } from "../hook-run"

export { prefixLines } from "../hook-run"

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

const listInvocation = async (connection: Connection, cmd: RunHookCommand, invocation: string): Promise<ReadonlyArray<JobInfo>> => {
  const answer = await connection.request("ListJobs", { repo_root: cmd.repo, invocation_prefix: invocation.slice(0, 16) })
  return expectKind(answer, "Jobs").jobs.filter((job) => job.invocation_id === invocation)
}

/** This process's stdout and stderr (hook-run.ts writes a hook run's text through it). */
// Whether stderr is a terminal without building process.stderr when libuv can tell (output.ts writes to the fd itself).
const processIo: HookIo = { out, err, stderrIsTTY: () => fdIsTTY(2) ?? process.stderr.isTTY, env: process.env }

export const runHook = async (cmd: RunHookCommand): Promise<number> => {
  try {
    return await runHookJobs(cmd)
  } catch (e) {
    return await hookFailure(cmd, e, processIo)
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
  try {
    return await runHookRequest({
      cmd,
      worktree,
      payload,
      io: processIo,
      send: (request, whileHookdWorks) => runJobsAnswers(connection, request, whileHookdWorks),
      listInvocation: (invocation) => listInvocation(connection, cmd, invocation),
      remind
    })
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
