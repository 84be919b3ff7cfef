// Plain TypeScript shapes of protocol v1 (SPEC §2, §3, §5).
// The client imports only this file and framing.ts: nothing here may import `effect`.
// The Effect schemas in schemas.ts must decode to exactly these shapes (a test checks it).

export const PROTOCOL_VERSION = 1 as const
export const SUPPORTED_PROTOCOL_VERSIONS: ReadonlyArray<number> = [1]
export const MAX_FRAME_BYTES = 8 * 1024 * 1024

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
export type ErrorCode = (typeof ERROR_CODES)[number]

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
/** A status read from a newer database that this build does not know renders as "unknown". */
export type JobStatus = KnownJobStatus | "unknown"
export const TERMINAL_STATUSES: ReadonlyArray<JobStatus> = [
  "completed",
  "failed",
  "timed_out",
  "cancelled",
  "skipped",
  "crashed"
]
export const isTerminalStatus = (s: string): boolean => (TERMINAL_STATUSES as ReadonlyArray<string>).includes(s)

export type RunMode = "auto" | "foreground" | "background"
export type LogKind = "stdout" | "stderr" | "status"

// ---------------------------------------------------------------- shared values

export interface JobAddress {
  readonly repo_root: string
  readonly invocation_prefix?: string
  readonly name: string
}

export interface JobLogOptions {
  readonly retention_secs?: number
  readonly max_bytes?: number
  readonly sampling_every_nth?: number
}

export interface JobSpec {
  readonly name: string
  readonly run: string
  readonly cwd?: string
  readonly env?: Readonly<Record<string, string>>
  readonly needs?: ReadonlyArray<string>
  readonly tags?: ReadonlyArray<string>
  readonly background: boolean
  readonly timeout_ms?: number
  readonly log?: JobLogOptions
  readonly skip_reason?: string
}

export interface JobInfo {
  readonly repo_id: string
  readonly repo_root: string
  readonly invocation_id: string
  readonly name: string
  readonly hook: string
  readonly worktree: string
  readonly command: string
  readonly cwd: string | null
  readonly status: JobStatus
  readonly exit_code: number | null
  readonly signal: string | null
  readonly pid: number | null
  readonly tags: ReadonlyArray<string>
  readonly needs: ReadonlyArray<string>
  readonly background: boolean
  readonly queued_at: number | null
  readonly started_at: number | null
  readonly finished_at: number | null
  readonly duration_ms: number | null
  readonly log_bytes: number | null
  readonly skip_reason: string | null
  readonly error: string | null
}

/** Status record payloads (SPEC §5). */
export type StatusEvent =
  | { readonly event: "started"; readonly pid: number }
  | { readonly event: "finished"; readonly exit_code: number }
  | { readonly event: "signaled"; readonly signal: string }
  | { readonly event: "cancelled"; readonly by: string }
  | { readonly event: "timed_out"; readonly after_ms: number }
  | { readonly event: "skipped"; readonly reason: string }
  | { readonly event: "crashed"; readonly message: string }
  | { readonly event: "truncated"; readonly at_bytes: number }

export type LogRecord =
  | { readonly seq: number; readonly ts: number; readonly kind: "stdout" | "stderr"; readonly data: string }
  | { readonly seq: number; readonly ts: number; readonly kind: "status"; readonly data: StatusEvent }

/** The status events that end a job; every terminal job's log ends with exactly one (SPEC §5). */
const TERMINAL_EVENTS: ReadonlySet<StatusEvent["event"]> = new Set(["finished", "signaled", "cancelled", "timed_out", "skipped", "crashed"])

export const isTerminalEvent = (event: StatusEvent): boolean => TERMINAL_EVENTS.has(event.event)

export const isTerminalRecord = (record: LogRecord): record is Extract<LogRecord, { kind: "status" }> =>
  record.kind === "status" && isTerminalEvent(record.data)

// ---------------------------------------------------------------- requests

export interface RequestPayloads {
  readonly Hello: { readonly client: string; readonly client_version: string }
  readonly Status: Record<string, never>
  readonly RunJobs: {
    readonly repo_root: string
    readonly worktree: string
    readonly hook: string
    readonly args: ReadonlyArray<string>
    readonly stdin?: string
    readonly env: Readonly<Record<string, string>>
    readonly mode: RunMode
    readonly wait: boolean
    readonly jobs?: ReadonlyArray<JobSpec>
  }
  readonly ListJobs: {
    readonly repo_root?: string
    readonly repo_id?: string
    readonly all_repos?: boolean
    readonly worktree?: string
    readonly hook?: string
    readonly status?: ReadonlyArray<string>
    readonly tag?: string
    readonly invocation_prefix?: string
    readonly limit?: number
  }
  readonly GetJob: { readonly job: JobAddress }
  readonly CancelJob: { readonly job: JobAddress }
  readonly CancelAll: { readonly repo_root?: string }
  readonly CancelMatching: {
    readonly repo_root?: string
    readonly hook?: string
    readonly worktree?: string
    readonly tag?: string
    readonly invocation_prefix?: string
    readonly older_than_secs?: number
  }
  readonly TailLogs: {
    readonly job: JobAddress
    readonly follow: boolean
    readonly since_seq?: number
    readonly kinds?: ReadonlyArray<LogKind>
  }
  readonly Retry: {
    readonly job?: JobAddress
    readonly invocation_prefix?: string
    readonly repo_root: string
    /** The requester's environment: supplies the secret-named variables that were scrubbed from the stored env. */
    readonly env?: Readonly<Record<string, string>>
  }
  readonly Prune: { readonly repo_root?: string; readonly dry_run: boolean; readonly older_than_secs?: number }
  readonly Shutdown: Record<string, never>
}
export type RequestName = keyof RequestPayloads
export const REQUEST_NAMES: ReadonlyArray<RequestName> = [
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
]

export type RequestEnvelope<N extends RequestName = RequestName> = {
  [K in N]: { readonly v: number; readonly id?: string; readonly req: K; readonly payload: RequestPayloads[K] }
}[N]

// ---------------------------------------------------------------- responses

export interface RunAcceptedJob {
  readonly name: string
  readonly status: JobStatus
}

export interface PrunedItem {
  readonly repo_id: string
  readonly invocation_id: string
  readonly worktree: string
  readonly reason: "expired" | "over_budget" | "older_than"
  readonly jobs: number
  readonly bytes: number
}

export type StreamOutcome = "completed" | "failed" | "cancelled"
export type StreamEndReason = "terminal" | "shutdown" | "replayed" | StreamOutcome

export interface ResponsePayloads {
  readonly Welcome: {
    readonly server_version: string
    readonly protocol_versions: ReadonlyArray<number>
    readonly pid: number
    readonly started_at: number
    readonly state_dir: string
  }
  readonly SupervisorStatus: {
    readonly pid: number
    readonly uptime_ms: number
    readonly repos: number
    readonly running: number
    readonly queued: number
    readonly connections: number
    readonly rss_bytes: number
    readonly version: string
    /** Extra (forward-compatible): last retention sweep, when there was one. */
    readonly last_sweep?: { readonly at: number; readonly invocations: number; readonly bytes: number }
  }
  readonly RunAccepted: {
    readonly invocation_id: string
    readonly repo_id: string
    readonly jobs: ReadonlyArray<RunAcceptedJob>
  }
  readonly Jobs: { readonly jobs: ReadonlyArray<JobInfo> }
  readonly Job: { readonly job: JobInfo }
  readonly Cancelled: { readonly count: number; readonly names: ReadonlyArray<string> }
  readonly StreamFrame: { readonly record: LogRecord; readonly job?: string }
  /**
   * `reason` ends a TailLogs stream ("terminal" after the terminal record, "replayed" for follow:false,
   * "shutdown" when the supervisor stops). `outcome` ends a RunJobs{wait:true} stream:
   * "completed" when every waited job completed, "failed" otherwise, "cancelled" when cancelled.
   */
  readonly StreamEnd: { readonly reason?: StreamEndReason; readonly outcome?: StreamOutcome }
  readonly Pruned: {
    readonly invocations: number
    readonly jobs: number
    readonly bytes: number
    readonly dry_run: boolean
    readonly items: ReadonlyArray<PrunedItem>
  }
  readonly Ack: { readonly message: string }
  readonly Error: { readonly code: ErrorCode; readonly message: string; readonly details?: unknown }
}
export type ResponseKind = keyof ResponsePayloads

export type ResponseEnvelope<K extends ResponseKind = ResponseKind> = {
  [P in K]: { readonly v: 1; readonly id?: string; readonly kind: P; readonly payload: ResponsePayloads[P] }
}[K]

/** Builds a response envelope, echoing the request id when there is one. */
export const response = <K extends ResponseKind>(
  kind: K,
  payload: ResponsePayloads[K],
  id?: string
): ResponseEnvelope<K> =>
  (id === undefined ? { v: 1, kind, payload } : { v: 1, id, kind, payload }) as ResponseEnvelope<K>

export const errorResponse = (code: ErrorCode, message: string, id?: string, details?: unknown) =>
  response("Error", details === undefined ? { code, message } : { code, message, details }, id)
