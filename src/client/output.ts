// Writing to stdout/stderr with backpressure: a follow piped into a slow reader waits for it
// (which in turn pauses the socket), instead of buffering without bound.
import { shouldUseColour } from "./format"

const write = (stream: NodeJS.WriteStream, text: string): Promise<void> | undefined =>
  stream.write(text) ? undefined : new Promise((resolve) => stream.once("drain", () => resolve()))

/** Resolves once everything written to `stream` so far has been handed to the OS (a write callback runs in order). */
const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
  stream.writableLength === 0 ? Promise.resolve() : new Promise((resolve) => stream.write("", () => resolve()))

/**
 * Ends a run with `code` once stdout and stderr are flushed: a write still queued for a slow pipe
 * reader is never cut off (issue 13: `hookctl ls --json` once exited 0 with an empty stdout under
 * load). Then it leaves at once — the command is done, and waiting for the event loop to empty (its
 * socket to finish closing) only kept a shell or a `git commit` waiting (issue 13).
 */
export const finish = async (code: number): Promise<void> => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  process.exit(code)
}

export const out = (text: string) => write(process.stdout, text)
export const err = (text: string) => write(process.stderr, text)
export const outLines = (lines: ReadonlyArray<string>) => (lines.length === 0 ? undefined : out(lines.join("\n") + "\n"))
export const errLines = (lines: ReadonlyArray<string>) => (lines.length === 0 ? undefined : err(lines.join("\n") + "\n"))

/** Terminal width for tables: the TTY's, else $COLUMNS when it is a positive integer, else 100 (pipes have no width). */
export const terminalWidth = (env: Readonly<Record<string, string | undefined>> = process.env): number => {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns
  const columns = Number(env.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : 100
}
export const colourEnabled = (): boolean => shouldUseColour(process.stdout.isTTY, process.env)
