// Every way a hookctl command can end badly, each carrying its exit code (SPEC §10).
// main.ts prints `hookctl: <message>` for these and never a stack trace.
import { ConnectError } from "../protocol/client"
import { UNSAFE_SOCKET } from "../protocol/socket-safety"
import { terminalSafe } from "../protocol/terminal-text"

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_UNREACHABLE = 3
export const EXIT_NOT_FOUND = 4
/** Conventional exit status after SIGINT (128 + 2). */
export const EXIT_INTERRUPTED = 130

export class ClientError extends Error {
  constructor(
    message: string,
    readonly exitCode: number
  ) {
    super(message)
  }
}

/** Bad command line: the message is followed by the command's usage line. */
export class UsageError extends ClientError {
  constructor(
    message: string,
    readonly usage: string
  ) {
    super(message, EXIT_USAGE)
  }
}

/** No supervisor answers on the socket (after the autostart attempt, when allowed). */
export class UnreachableError extends ClientError {
  constructor(message: string) {
    super(message, EXIT_UNREACHABLE)
  }
}

/** The socket's directory or file belongs to someone else (or is open to them): nothing was sent. */
export class UnsafeSocketError extends UnreachableError {}

/** The refusal of protocol/client.ts's socket check as hookctl's error, or undefined for any other failure. */
export const asUnsafeSocket = (e: unknown): UnsafeSocketError | undefined =>
  e instanceof ConnectError && e.errno === UNSAFE_SOCKET ? new UnsafeSocketError(e.message) : undefined

/** Ctrl-C ended a stream; the socket is already closed. */
export class InterruptedError extends ClientError {
  constructor() {
    super("interrupted", EXIT_INTERRUPTED)
  }
}

const NOT_FOUND_CODES = new Set(["JOB_NOT_FOUND", "NO_MATCH", "REPO_NOT_FOUND", "AMBIGUOUS"])

/** An `Error{code, message, details?}` answered by the supervisor. */
export class ServerError extends ClientError {
  constructor(
    readonly code: string,
    serverMessage: string,
    readonly details: unknown
  ) {
    super(describeServerError(code, serverMessage, details), exitCodeForServerError(code))
  }
}

export const exitCodeForServerError = (code: string): number =>
  NOT_FOUND_CODES.has(code) ? EXIT_NOT_FOUND : code === "BUSY" ? EXIT_UNREACHABLE : EXIT_FAILED

type Loose = Record<string, unknown>
const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v)

/** `file:line: path: message` for one CONFIG_INVALID problem, with whatever parts are present. */
const describeConfigProblem = (p: Loose, fallback: string): string => {
  const where = [
    typeof p.file === "string" ? p.file + (typeof p.line === "number" ? `:${p.line}` : "") : undefined,
    typeof p.path === "string" && p.path !== "" ? p.path : Array.isArray(p.path) ? p.path.join(".") : undefined
  ].filter((s): s is string => s !== undefined && s !== "")
  const message = typeof p.message === "string" ? p.message : fallback
  return [...where, message].join(": ")
}

const problemsOf = (details: unknown): Loose[] => {
  if (Array.isArray(details)) return details.filter(isObject)
  if (!isObject(details)) return []
  for (const key of ["problems", "issues", "errors"]) {
    const list = details[key]
    if (Array.isArray(list)) return list.filter(isObject)
  }
  return [details]
}

const candidatesOf = (details: unknown): string[] => {
  const list = Array.isArray(details) ? details : isObject(details) ? details.candidates : undefined
  if (!Array.isArray(list)) return []
  return list.map((c) =>
    typeof c === "string"
      ? c
      : isObject(c)
        ? [c.invocation_id, c.name].filter((x) => typeof x === "string").join(":") || JSON.stringify(c)
        : String(c)
  )
}

/**
 * The one-paragraph text shown for a server error (pure, unit-tested). What the server sent is
 * escaped part by part (its messages are one line each); only the lines joined here may break.
 */
export const describeServerError = (code: string, rawMessage: string, details: unknown): string => {
  const message = terminalSafe(rawMessage)
  if (code === "CONFIG_INVALID") {
    const problems = problemsOf(details).filter((p) => p.file !== undefined || p.path !== undefined)
    if (problems.length === 0) return `invalid configuration: ${message}`
    return problems.map((p) => terminalSafe(describeConfigProblem(p, rawMessage))).join("\n")
  }
  if (code === "REPO_NOT_FOUND") {
    return `${message}\nRun hookctl inside a git repository, or pass --repo PATH (ls --all-repos lists every repository).`
  }
  if (code === "AMBIGUOUS") {
    const candidates = candidatesOf(details).map((c) => terminalSafe(c))
    return candidates.length === 0 ? message : `${message}\ncandidates:\n${candidates.map((c) => `  ${c}`).join("\n")}`
  }
  return message
}

/** What hookctl prints on stderr for a command's failure (never a stack trace), and its exit code. */
export const failureReport = (e: unknown): { readonly text: string; readonly code: number } => {
  if (e instanceof InterruptedError) return { text: "", code: e.exitCode } // Ctrl-C: the user knows
  if (e instanceof UsageError) return { text: `hookctl: ${terminalSafe(e.message, { keepNewlines: true })}\nusage: ${e.usage}\n`, code: e.exitCode }
  if (e instanceof ClientError) return { text: `hookctl: ${terminalSafe(e.message, { keepNewlines: true })}\n`, code: e.exitCode }
  // A bug in hookctl: one line, never a stack trace (HOOKCTL_DEBUG=1 shows it).
  const message = e instanceof Error ? e.message : String(e)
  return { text: `hookctl: internal error: ${terminalSafe(message, { keepNewlines: true })}\n`, code: EXIT_FAILED }
}
