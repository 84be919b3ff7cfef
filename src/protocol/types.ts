// Protocol v1 for everyone who must not load `effect` (hookctl, framing, paths): the constants the schemas
// are built from, the types — derived from the schemas in schemas.ts, the one source, and imported here
// with `import type` so they are erased — and small helpers over them. Nothing here may import schemas.ts
// at run time (test/client/bundle.test.ts proves the client bundle holds no effect code).
import type * as S from "./schemas"

export const PROTOCOL_VERSION = 1 as const
export const SUPPORTED_PROTOCOL_VERSIONS: ReadonlyArray<number> = [1]
export const MAX_FRAME_BYTES = 8 * 1024 * 1024
/**
 * The log record format (output.jsonl and StreamFrame records). 2: an output record's `data` holds
 * one or more whole lines of one stream joined by "\n"; 1 (before issue 13): exactly one line. Every
 * format-1 record is a format-2 record, so old logs read unchanged and the request envelope's `v`
 * stays 1; the supervisor names its format in Welcome.log_format.
 */
export const LOG_FORMAT_VERSION = 2 as const

export const ERROR_CODES = [
  "BAD_FRAME",
  "FRAME_TOO_LARGE",
  "SCHEMA_MISMATCH",
  "BAD_REQUEST",
  "REPO_NOT_FOUND",
  "REPO_UNAVAILABLE",
  "CONFIG_INVALID",
  "JOB_NOT_FOUND",
  "AMBIGUOUS",
  "NO_MATCH",
  "KILL_FAILED",
  "BUSY",
  "INTERNAL"
] as const

/** Per job `concurrency` (SPEC §3): what a new run does while a run of the same job is live in the worktree. */
export const CONCURRENCY_POLICIES = ["replace", "queue", "skip", "parallel"] as const
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number]

/** Per job `retry.attempts` (issue 12 item 8): the most runs of one job, the first included. */
export const MAX_JOB_ATTEMPTS = 10

export const JOB_STATUSES = [
  "queued",
  "running",
  "cancelling",
  "completed",
  "failed",
  "timed_out",
  "cancelled",
  "skipped",
  "crashed"
] as const
export type KnownJobStatus = (typeof JOB_STATUSES)[number]
/** Every status after the three live ones (queued, running, cancelling) is final. */
export const TERMINAL_STATUSES: ReadonlyArray<S.JobStatus> = JOB_STATUSES.slice(JOB_STATUSES.indexOf("completed"))
export const isTerminalStatus = (s: string): boolean => (TERMINAL_STATUSES as ReadonlyArray<string>).includes(s)

export const REQUEST_NAMES = [
  "Hello",
  "Status",
  "RunJobs",
  "ListJobs",
  "GetJob",
  "CancelJob",
  "CancelAll",
  "CancelMatching",
  "TailLogs",
  "Retry",
  "Prune",
  "Shutdown"
] as const
export type RequestName = (typeof REQUEST_NAMES)[number]

// The protocol's types: their shapes are the schemas' (schemas.ts), erased from the client's bundle.
export type {
  ErrorCode,
  JobAddress,
  JobInputs,
  JobRetry,
  EarlierAttempt,
  JobInfo,
  JobLimits,
  JobLogOptions,
  JobSpec,
  JobStatus,
  LogKind,
  LogRecord,
  PrunedItem,
  UnavailableRepo,
  RequestEnvelope,
  RequestPayloads,
  ResponseEnvelope,
  ResponseKind,
  ResponsePayloads,
  RunAcceptedJob,
  FailureNotice,
  RunMode,
  StatusEvent,
  StreamEndReason,
  StreamOutcome
} from "./schemas"

/** The status events that end a job; every terminal job's log ends with exactly one (SPEC §5). */
const TERMINAL_EVENTS: ReadonlySet<S.StatusEvent["event"]> = new Set(["finished", "signaled", "cancelled", "timed_out", "skipped", "crashed"])

export const isTerminalEvent = (event: S.StatusEvent): boolean => TERMINAL_EVENTS.has(event.event)

export const isTerminalRecord = (record: S.LogRecord): record is Extract<S.LogRecord, { kind: "status" }> =>
  record.kind === "status" && isTerminalEvent(record.data)

/** Builds a response envelope, echoing the request id when there is one. */
export const response = <K extends S.ResponseKind>(
  kind: K,
  payload: S.ResponsePayloads[K],
  id?: string
): S.ResponseEnvelope<K> =>
  (id === undefined ? { v: 1, kind, payload } : { v: 1, id, kind, payload }) as S.ResponseEnvelope<K>

export const errorResponse = (code: S.ErrorCode, message: string, id?: string, details?: unknown) =>
  response("Error", details === undefined ? { code, message } : { code, message, details }, id)
