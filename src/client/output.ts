// Writing to stdout/stderr with backpressure: a follow piped into a slow reader waits for it
// (which in turn pauses the socket), instead of buffering without bound.
//
// Into a file, /dev/null, a pipe or a socket, hookctl writes to the fd itself (fs.writeSync, as
// node's own stream for a file does): building process.stdout costs a run ~1.2 ms for a file and
// ~2 ms for a pipe (node:net) — issue 13. A terminal, a command that handles Ctrl-C, an fd that
// would block (EAGAIN) or fails otherwise, and every write once a stream exists (ordering) go
// through node's streams as before.
import { writeSync } from "node:fs"
import { fdIsTTY } from "../protocol/raw-pipe"
import { EXIT_OK } from "./errors"
import { shouldUseColour } from "./format"

type StdName = "stdout" | "stderr"
const FD: Readonly<Record<StdName, number>> = { stdout: 1, stderr: 2 }

/** Whether process.stdout/stderr was built (by this module or anyone else, see watchStdStreams). */
const built: Record<StdName, boolean> = { stdout: false, stderr: false }
/** Whether watchStdStreams could track the streams; if not, output goes through them as before. */
let tracked = false

/** stdout or stderr closed early (`hookctl ls | head`): nobody reads any more, so nothing is lost by leaving at once. */
const readerGone = (): never => process.exit(EXIT_OK)

const onStreamError = (e: NodeJS.ErrnoException) => {
  // Without this an unhandled stderr EPIPE would end the run with exit 1.
  if (e.code === "EPIPE") readerGone()
}

/**
 * Stops quietly when a reader of stdout or stderr goes away (EPIPE), whether hookctl writes to the
 * fd itself or through node's stream — attached to a stream when it is first built, by whoever
 * builds it, so that nothing builds one a run does not need.
 */
export const watchStdStreams = (): void => {
  for (const name of ["stdout", "stderr"] as const) {
    const descriptor = Object.getOwnPropertyDescriptor(process, name)
    const get = descriptor?.get
    if (get === undefined || descriptor?.configurable !== true) {
      process[name].on("error", onStreamError)
      built[name] = true
      continue
    }
    Object.defineProperty(process, name, {
      ...descriptor,
      get() {
        const stream = get.call(process) as NodeJS.WriteStream
        if (!built[name]) {
          built[name] = true
          stream.on("error", onStreamError)
        }
        return stream
      }
    })
  }
  tracked = true
}

/**
 * The fd is written directly: tracked, no stream built for it yet, known not to be a terminal, and
 * no Ctrl-C handler waiting (logs, wait, --watch): a write to a reader that stopped reading (`| less`)
 * blocks, and with a handler node would only run it once the write is done — the stream never blocks.
 */
const direct = (name: StdName): boolean =>
  tracked && !built[name] && process.listenerCount("SIGINT") === 0 && fdIsTTY(FD[name]) === false

/**
 * Writes all of `bytes` to the fd (a write may take part of them); returns what is left for the
 * stream — after EAGAIN (a non-blocking fd) or any other failure, which the stream then meets as it
 * always did — or undefined. EPIPE (the reader has gone) ends the run at once, as on the stream.
 */
export const writeToFd = (
  fd: number,
  bytes: Buffer,
  write: (fd: number, bytes: Buffer, offset: number, length: number) => number = writeSync,
  onReaderGone: () => void = readerGone
): Buffer | undefined => {
  let offset = 0
  while (offset < bytes.length) {
    try {
      offset += write(fd, bytes, offset, bytes.length - offset)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EPIPE") onReaderGone()
      return bytes.subarray(offset)
    }
  }
  return undefined
}

const write = (name: StdName, text: string): Promise<void> | undefined => {
  let rest: string | Buffer = text
  if (direct(name)) {
    const left = writeToFd(FD[name], Buffer.from(text, "utf8"))
    if (left === undefined) return undefined
    rest = left
  }
  const stream = process[name]
  return stream.write(rest) ? undefined : new Promise((resolve) => stream.once("drain", () => resolve()))
}

/** Resolves once everything written to `stream` so far has been handed to the OS (a write callback runs in order). */
const flushed = (name: StdName): Promise<void> => {
  if (tracked && !built[name]) return Promise.resolve() // direct writes are done when they return
  const stream = process[name]
  return stream.writableLength === 0 ? Promise.resolve() : new Promise((resolve) => stream.write("", () => resolve()))
}

/**
 * Ends a run with `code` once stdout and stderr are flushed: a write still queued for a slow pipe
 * reader is never cut off (issue 13: `hookctl ls --json` once exited 0 with an empty stdout under
 * load). Then it leaves at once — the command is done, and waiting for the event loop to empty (its
 * socket to finish closing) only kept a shell or a `git commit` waiting (issue 13).
 */
export const finish = async (code: number): Promise<void> => {
  await Promise.all([flushed("stdout"), flushed("stderr")])
  process.exit(code)
}

export const out = (text: string) => write("stdout", text)
export const err = (text: string) => write("stderr", text)
export const outLines = (lines: ReadonlyArray<string>) => (lines.length === 0 ? undefined : out(lines.join("\n") + "\n"))
export const errLines = (lines: ReadonlyArray<string>) => (lines.length === 0 ? undefined : err(lines.join("\n") + "\n"))

/** Whether stdout is a terminal: without building process.stdout when libuv can tell (see fdIsTTY). */
const stdoutIsTTY = (): boolean => fdIsTTY(FD.stdout) ?? process.stdout.isTTY === true

/** Terminal width for tables: the TTY's, else $COLUMNS when it is a positive integer, else 100 (pipes have no width). */
export const terminalWidth = (env: Readonly<Record<string, string | undefined>> = process.env): number => {
  if (stdoutIsTTY() && process.stdout.columns) return process.stdout.columns
  const columns = Number(env.COLUMNS)
  return Number.isInteger(columns) && columns > 0 ? columns : 100
}
export const colourEnabled = (): boolean => shouldUseColour(stdoutIsTTY(), process.env)
