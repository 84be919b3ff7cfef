// hookctl: the thin client (SPEC §10). argv → one request → human or script output → exit code.
// Nothing reachable from here may import `effect` (a test inspects the bundle's import graph).
//
// Startup is most of a hookctl run, so each command's module is imported when it runs: bundled
// into one file, esbuild turns these imports into lazy initialisers, so a command evaluates only
// its own modules (and node's child_process and crypto load only where they are used).
import type { Command } from "./cli"
import { ClientError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, InterruptedError, UsageError } from "./errors"
import { finish, out } from "./output"
import { terminalSafe } from "../protocol/terminal-text"
import { HOOKCTL_VERSION } from "./version"

const execute = async (cmd: Command): Promise<number> => {
  switch (cmd.kind) {
    case "help":
      // Bare `hookctl` is a usage error that deserves the whole help, on stderr.
      if (cmd.exitCode !== undefined) {
        process.stderr.write(cmd.text + "\n")
        return cmd.exitCode
      }
      await out(cmd.text + "\n")
      return EXIT_OK
    case "version":
      await out(HOOKCTL_VERSION + "\n")
      return EXIT_OK
    case "completion":
      await out((await import("./completion")).completionScript(cmd.shell))
      return EXIT_OK
    case "status":
      return (await import("./commands/unary")).runStatus(cmd)
    case "ls":
      return (await import("./commands/ls")).runLs(cmd)
    case "logs":
      return (await import("./commands/logs")).runLogs(cmd)
    case "wait":
      return (await import("./commands/wait")).runWait(cmd)
    case "show":
      return (await import("./commands/show")).runShow(cmd)
    case "cancel":
      return (await import("./commands/unary")).runCancel(cmd)
    case "retry":
      return (await import("./commands/unary")).runRetry(cmd)
    case "prune":
      return (await import("./commands/unary")).runPrune(cmd)
    case "run-hook":
      return (await import("./commands/run-hook")).runHook(cmd)
    case "hooks":
      return (await import("./commands/hooks")).runHooks(cmd)
    case "shutdown":
      return (await import("./commands/unary")).runShutdown()
    case "service":
      // Loaded only for this command: the service installer is not on the hot path.
      return (await import("../service/cli")).runServiceCommand(cmd.args)
  }
}

const report = (e: unknown): number => {
  if (e instanceof InterruptedError) return e.exitCode // Ctrl-C: the user knows
  if (e instanceof UsageError) {
    process.stderr.write(`hookctl: ${terminalSafe(e.message, { keepNewlines: true })}\nusage: ${e.usage}\n`)
    return e.exitCode
  }
  if (e instanceof ClientError) {
    process.stderr.write(`hookctl: ${terminalSafe(e.message, { keepNewlines: true })}\n`)
    return e.exitCode
  }
  // A bug in hookctl: one line, never a stack trace (HOOKCTL_DEBUG=1 shows it).
  const message = e instanceof Error ? e.message : String(e)
  process.stderr.write(`hookctl: internal error: ${terminalSafe(message, { keepNewlines: true })}\n`)
  if (process.env.HOOKCTL_DEBUG === "1" && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  return EXIT_FAILED
}

/** process.cwd() throws (ENOENT, uv_cwd) when the directory was deleted under the shell. */
const currentDirectory = (): string => {
  try {
    return process.cwd()
  } catch {
    throw new ClientError("the current directory no longer exists (deleted?); cd to an existing directory and try again", EXIT_USAGE)
  }
}

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  // `hookctl --version` answers before the argument parser (and node:util) is even loaded.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) return execute({ kind: "version" })
  try {
    const { parseCommandLine } = await import("./cli")
    return await execute(parseCommandLine(argv, currentDirectory()))
  } catch (e) {
    return report(e)
  }
}

// stdout or stderr closed early (`hookctl ls | head`, `hookctl logs x |& head`): stop quietly
// instead of crashing with EPIPE (an unhandled stderr error would end with exit 1). Nobody reads
// any more, so nothing is lost by leaving at once.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(EXIT_OK)
  })
}

// A CommonJS bundle has no top-level await: the exit code is set once main's output is out.
void main(process.argv.slice(2)).then(finish)
