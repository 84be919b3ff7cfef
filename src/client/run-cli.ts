// What every hookctl entry shares — the whole client (main.ts) and the hot commands' own bundles
// (src/client/hot/): parse argv, run the command, report a failure as one line and its exit code,
// and leave once the output is flushed. Nothing reachable from here may import `effect`.
import { createRequire } from "node:module"
import type { Command } from "./cli"
import { ClientError, EXIT_USAGE, failureReport } from "./errors"
import { finish, watchStdStreams } from "./output"

/** Runs a parsed command; undefined when this bundle does not carry that command. */
export type Execute = (cmd: Command) => Promise<number> | undefined

const report = (e: unknown): number => {
  const { text, code } = failureReport(e)
  process.stderr.write(text)
  if (process.env.HOOKCTL_DEBUG === "1" && !(e instanceof ClientError) && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  return code
}

/** process.cwd() throws (ENOENT, uv_cwd) when the directory was deleted under the shell. */
const currentDirectory = (): string => {
  try {
    return process.cwd()
  } catch {
    throw new ClientError("the current directory no longer exists (deleted?); cd to an existing directory and try again", EXIT_USAGE)
  }
}

/** Reads the command line; undefined when this bundle leaves it to another (a hot bundle's own reading). */
export type Parse = (argv: ReadonlyArray<string>, cwd: string) => Promise<Command | undefined>

/** The whole argument parser (cli.ts), loaded once a command needs it. */
export const parseWithCli: Parse = async (argv, cwd) => (await import("./cli")).parseCommandLine(argv, cwd)

const main = async (argv: ReadonlyArray<string>, parse: Parse, execute: Execute): Promise<number | undefined> => {
  // `hookctl --version` answers before the argument parser (and node:util) is even loaded.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) return execute({ kind: "version" })
  try {
    const cmd = await parse(argv, currentDirectory())
    return cmd === undefined ? undefined : await execute(cmd)
  } catch (e) {
    return report(e)
  }
}

/**
 * Runs hookctl: `parse` reads the command line, `execute` runs the command; a command line or a
 * command this bundle does not carry is handed to `otherwise` (a hot bundle gives it to the whole
 * client).
 */
export const runCli = (parse: Parse, execute: Execute, otherwise: () => void): void => {
  // stdout or stderr closed early (`hookctl ls | head`, `hookctl logs x |& head`): stop quietly
  // instead of crashing with EPIPE — without building either stream before it is written to.
  watchStdStreams()
  // A CommonJS bundle has no top-level await: the exit code is set once main's output is out.
  void main(process.argv.slice(2), parse, execute).then((code) => (code === undefined ? otherwise() : finish(code)))
}

/** A hot bundle's `otherwise`: the whole client (dist/hookctl.cjs beside it) runs the command line itself. */
export const wholeClient = (): void => {
  createRequire(import.meta.url)("./hookctl.cjs")
}
