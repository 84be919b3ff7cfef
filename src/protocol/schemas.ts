// effect/Schema definitions of protocol v1 (SPEC §2, §3, §5): the one source of the protocol's shapes.
// The TypeScript types are derived from them here (`typeof X.Type`) and re-exported, type-only, by types.ts
// for the effect-free side; schema/protocol.json is generated from them.
// Decoding ignores unknown fields (forward compatibility); optional fields are exact (absent, never undefined).
import * as Schema from "effect/Schema"
import { JOB_NAME_PATTERN } from "./paths"
import {
  CONCURRENCY_POLICIES,
  ERROR_CODES,
  JOB_STATUSES,
  MAX_JOB_ATTEMPTS,
  REQUEST_NAMES,
  type KnownJobStatus,
  type RequestName
} from "./types"

const optional = <S extends Schema.Schema.AnyNoContext>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** A JSON integer ≥ 0 (counts, byte sizes, epoch milliseconds, durations). */
const NonNegativeInt = Schema.Number.pipe(Schema.int(), Schema.nonNegative()).annotations({
  title: "non-negative integer",
  description: "an integer ≥ 0"
})
const EpochMillis = NonNegativeInt.annotations({ description: "epoch milliseconds" })
/** A JSON integer (exit codes, pids). */
const Int = Schema.Number.pipe(Schema.int())

/** A set of string literals reported as one problem ("Expected one of …") instead of one per literal. */
const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.Literal(...literals).annotations({
    // override: a union's own message is otherwise ignored in favour of its members' messages
    message: (issue) => ({
      message: `Expected one of ${literals.map((l) => JSON.stringify(l)).join(", ")}, actual ${
        JSON.stringify((issue as { readonly actual?: unknown }).actual)
      }`,
      override: true
    })
  })

// ---------------------------------------------------------------- shared values

export const JobName = Schema.String.pipe(
  Schema.pattern(JOB_NAME_PATTERN, {
    message: (issue) =>
      `job name ${JSON.stringify(issue.actual)} is invalid: it must start with a letter or digit and contain ` +
      `only letters, digits, ".", "_" and "-" (at most 128 characters)`
  })
).annotations({ description: "a letter or digit, then up to 127 letters, digits, \".\", \"_\" or \"-\"" })

export const InvocationPrefix = Schema.String.pipe(
  Schema.pattern(/^[0-9a-f]{4,16}$/, {
    message: (issue) =>
      `invocation prefix ${JSON.stringify(issue.actual)} is invalid: it must be 4 to 16 lowercase hex characters`
  })
).annotations({ description: "the first 4 to 16 lowercase hex characters of an invocation id" })

export const InvocationId = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{16}$/)).annotations({
  description: "16 random lowercase hex characters"
})

const isKnownStatus = (s: string): s is KnownJobStatus => (JOB_STATUSES as ReadonlyArray<string>).includes(s)

/** Any string decodes: a status from a newer supervisor or database that this build does not know becomes "unknown". */
export const JobStatus = Schema.transform(
  Schema.String.annotations({ description: `one of ${JOB_STATUSES.join(", ")} (others read as "unknown")` }),
  Schema.Literal(...JOB_STATUSES, "unknown"),
  { strict: true, decode: (s) => (isKnownStatus(s) ? s : "unknown"), encode: (s) => s }
)
export type JobStatus = typeof JobStatus.Type

export const RunMode = oneOf("auto", "foreground", "background")
export type RunMode = typeof RunMode.Type
export const LogKind = oneOf("stdout", "stderr", "status")
export type LogKind = typeof LogKind.Type
export const ErrorCode = oneOf(...ERROR_CODES)
export type ErrorCode = typeof ErrorCode.Type
const Env = Schema.Record({ key: Schema.String, value: Schema.String })

export const JobAddress = Schema.Struct({
  repo_root: Schema.String,
  invocation_prefix: optional(InvocationPrefix),
  name: JobName
}).annotations({
  identifier: "JobAddress",
  description: "A job: without invocation_prefix, the newest invocation in the repo that has a job of that name"
})
export type JobAddress = typeof JobAddress.Type

export const JobLogOptions = Schema.Struct({
  retention_secs: optional(NonNegativeInt),
  max_bytes: optional(NonNegativeInt),
  sampling_every_nth: optional(Schema.Number.pipe(Schema.int(), Schema.positive()))
}).annotations({ identifier: "JobLogOptions" })
export type JobLogOptions = typeof JobLogOptions.Type

/** Per-job resource limits, applied to the job's cgroup (issue 14 item 7); refused without cgroup controllers. */
export const JobLimits = Schema.Struct({
  memory_bytes: optional(Schema.Number.pipe(Schema.int(), Schema.positive()).annotations({ description: "memory.max of the job's cgroup (swap not allowed beyond it)" })),
  cpu_percent: optional(Schema.Number.pipe(Schema.positive(), Schema.finite()).annotations({ description: "cpu.max as a share of one CPU: 50 = half a CPU, 200 = two" }))
}).annotations({ identifier: "JobLimits" })
export type JobLimits = typeof JobLimits.Type

export const JobInputs = Schema.Struct({
  files: Schema.Array(Schema.String).annotations({ description: "git glob pathspecs relative to the worktree" }),
  env: Schema.Array(Schema.String).annotations({ description: "names of environment variables whose values count" })
}).annotations({
  identifier: "JobInputs",
  description: "What the job's work depends on; unchanged since its last completed run in the worktree → recorded skipped"
})
export type JobInputs = typeof JobInputs.Type

export const JobRetry = Schema.Struct({
  attempts: Schema.Number.pipe(Schema.int(), Schema.between(1, MAX_JOB_ATTEMPTS)).annotations({
    description: `runs at most, the first included (1 to ${MAX_JOB_ATTEMPTS})`
  }),
  backoff_ms: NonNegativeInt.annotations({ description: "the wait before the 2nd attempt; each later wait doubles, at most 5 min, minus up to 20 % jitter" })
}).annotations({
  identifier: "JobRetry",
  description: "Automatic retry: a run that failed or timed out is run again (never one cancelled or superseded)"
})
export type JobRetry = typeof JobRetry.Type

/** An earlier attempt of a job that was retried (the row itself describes the newest one). */
export const EarlierAttempt = Schema.Struct({
  attempt: Schema.Number.pipe(Schema.int(), Schema.positive()),
  status: JobStatus,
  exit_code: Schema.NullOr(Int),
  signal: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  finished_at: EpochMillis
}).annotations({ identifier: "EarlierAttempt" })
export type EarlierAttempt = typeof EarlierAttempt.Type

export const JobSpec = Schema.Struct({
  name: JobName,
  run: Schema.String,
  cwd: optional(Schema.String.annotations({ description: "relative to the worktree" })),
  env: optional(Env),
  needs: optional(Schema.Array(Schema.String)),
  tags: optional(Schema.Array(Schema.String)),
  background: Schema.Boolean,
  timeout_ms: optional(NonNegativeInt.annotations({ description: "default 300000; 0 = no timeout" })),
  log: optional(JobLogOptions),
  skip_reason: optional(Schema.String),
  concurrency: optional(
    oneOf(...CONCURRENCY_POLICIES).annotations({
      description: "while a run of this job is live in the worktree: replace (default for background), queue, skip, parallel (default for foreground)"
    })
  ),
  inputs: optional(JobInputs),
  outputs: optional(
    Schema.Array(Schema.String).annotations({
      description: "paths relative to the worktree; one missing makes the job run despite unchanged inputs"
    })
  ),
  retry: optional(JobRetry),
  notify: optional(Schema.Boolean.annotations({
    description: "a desktop notification (notify-send / osascript, when on the job's PATH) when the job fails"
  })),
  limits: optional(JobLimits)
}).annotations({ identifier: "JobSpec" })
export type JobSpec = typeof JobSpec.Type

const NullableString = Schema.NullOr(Schema.String)
const NullableMillis = Schema.NullOr(EpochMillis)

export const JobInfo = Schema.Struct({
  repo_id: Schema.String,
  repo_root: Schema.String,
  invocation_id: Schema.String,
  name: Schema.String,
  hook: Schema.String,
  worktree: Schema.String,
  command: Schema.String,
  cwd: NullableString,
  status: JobStatus,
  exit_code: Schema.NullOr(Int),
  signal: NullableString,
  pid: Schema.NullOr(Int),
  tags: Schema.Array(Schema.String),
  needs: Schema.Array(Schema.String),
  background: Schema.Boolean,
  queued_at: NullableMillis,
  started_at: NullableMillis,
  finished_at: NullableMillis,
  duration_ms: Schema.NullOr(NonNegativeInt),
  log_bytes: Schema.NullOr(NonNegativeInt),
  skip_reason: NullableString,
  error: NullableString,
  input_key: NullableString.annotations({
    description: "hash of the command, cwd, listed env values and input files (jobs with inputs)"
  }),
  input_match: NullableString.annotations({
    description: "for a job skipped as unchanged: the invocation id of the completed run it matched"
  }),
  attempt: optional(Schema.Number.pipe(Schema.int(), Schema.positive()).annotations({
    description: "which attempt the row describes (1 unless the job has retry); sent by hookd ≥ 0.2"
  })),
  max_attempts: optional(Schema.Number.pipe(Schema.int(), Schema.positive()).annotations({
    description: "the job's retry attempts (1 = no retry)"
  })),
  retry_at: optional(NullableMillis.annotations({
    description: "while the job waits to be retried (status queued): when the next attempt starts"
  })),
  earlier_attempts: optional(Schema.Array(EarlierAttempt).annotations({
    description: "how the earlier attempts of a retried job ended, oldest first (absent when there were none)"
  })),
  notified_at: optional(NullableMillis.annotations({
    description: "when a background failure was reported by a hook run's notice (null: not yet; 0: before notices existed)"
  })),
  /** Extra, in GetJob's answer only: the names (never the values) of the job's environment variables. */
  env_names: optional(Schema.Array(Schema.String)),
  /** Extra, in GetJob's answer only: where the job's log (output.jsonl) is. */
  log_path: optional(Schema.String)
}).annotations({ identifier: "JobInfo" })
export type JobInfo = typeof JobInfo.Type

const statusEvent = <E extends string, F extends Schema.Struct.Fields>(event: E, fields: F) =>
  Schema.Struct({ event: Schema.Literal(event), ...fields })

export const StatusEvent = Schema.Union(
  statusEvent("started", { pid: Int }),
  statusEvent("finished", { exit_code: Int }),
  statusEvent("signaled", { signal: Schema.String }),
  statusEvent("cancelled", {
    by: Schema.String,
    /** With `by: "superseded"`: the invocation whose run of the same job replaced this one. */
    superseded_by: optional(Schema.String)
  }),
  statusEvent("timed_out", { after_ms: NonNegativeInt }),
  statusEvent("skipped", { reason: Schema.String }),
  statusEvent("crashed", { message: Schema.String }),
  statusEvent("truncated", { at_bytes: NonNegativeInt }),
  /** Not terminal: attempt `attempt` of `of` ended `failed` (exit code, signal or timeout); the next starts in retry_in_ms. */
  statusEvent("attempt_failed", {
    attempt: Int,
    of: Int,
    exit_code: optional(Int),
    signal: optional(Schema.String),
    timed_out_after_ms: optional(NonNegativeInt),
    retry_in_ms: NonNegativeInt
  })
).annotations({ identifier: "StatusEvent" })
export type StatusEvent = typeof StatusEvent.Type

export const LogRecord = Schema.Union(
  Schema.Struct({ seq: NonNegativeInt, ts: EpochMillis, kind: Schema.Literal("stdout", "stderr"), data: Schema.String }),
  Schema.Struct({ seq: NonNegativeInt, ts: EpochMillis, kind: Schema.Literal("status"), data: StatusEvent })
).annotations({
  identifier: "LogRecord",
  description: "One line of a job's output.jsonl; an output record's data holds one or more lines of its stream joined by \"\\n\" (log format 2)"
})
export type LogRecord = typeof LogRecord.Type

// ---------------------------------------------------------------- request payloads

// Without the annotation an empty struct's JSON Schema would be "any object or array".
const Empty = Schema.Struct({}).annotations({ jsonSchema: { type: "object", additionalProperties: true } })

const atLeastOneOf = <K extends string>(keys: ReadonlyArray<K>, what: string) => ({
  message: () => `${what} needs at least one of ${keys.join(", ")}`,
  // Wrapped in allOf: a top-level anyOf would replace the struct's own JSON Schema instead of refining it.
  jsonSchema: { allOf: [{ anyOf: keys.map((k) => ({ required: [k] })) }] }
})
const hasAnyKey = (keys: ReadonlyArray<string>) => (payload: object) => keys.some((k) => k in payload)

const CANCEL_PREDICATES = ["repo_root", "hook", "worktree", "tag", "invocation_prefix", "older_than_secs"] as const
const RETRY_TARGETS = ["job", "invocation_prefix"] as const

export const RequestPayloadSchemas = {
  Hello: Schema.Struct({ client: Schema.String, client_version: Schema.String }),
  Status: Empty,
  RunJobs: Schema.Struct({
    repo_root: Schema.String,
    worktree: Schema.String,
    hook: Schema.String,
    args: Schema.Array(Schema.String),
    stdin: optional(Schema.String),
    env: Env,
    mode: RunMode,
    wait: Schema.Boolean,
    jobs: optional(Schema.Array(JobSpec))
  }),
  ListJobs: Schema.Struct({
    repo_root: optional(Schema.String),
    repo_id: optional(Schema.String),
    all_repos: optional(Schema.Boolean),
    worktree: optional(Schema.String),
    hook: optional(Schema.String),
    status: optional(Schema.Array(Schema.String)),
    tag: optional(Schema.String),
    invocation_prefix: optional(InvocationPrefix),
    limit: optional(NonNegativeInt),
    unnoticed_first: optional(Schema.Boolean.annotations({
      description: "background failures no hook run has reported yet (notified_at null) first, then the rest; each newest first"
    })),
    /**
     * Extra: answer in pages (each well under the frame cap, with `next_cursor` while more rows
     * follow). Without it the whole answer comes in one frame, and one too large for a frame is a
     * BAD_REQUEST saying to page or to pass a limit.
     */
    paged: optional(Schema.Boolean),
    /** Extra: the `next_cursor` of the previous page (implies `paged`); the rows after it. */
    cursor: optional(Schema.String)
  }),
  GetJob: Schema.Struct({ job: JobAddress }),
  CancelJob: Schema.Struct({ job: JobAddress }),
  CancelAll: Schema.Struct({ repo_root: optional(Schema.String) }),
  CancelMatching: Schema.Struct({
    repo_root: optional(Schema.String),
    hook: optional(Schema.String),
    worktree: optional(Schema.String),
    tag: optional(Schema.String),
    invocation_prefix: optional(InvocationPrefix),
    older_than_secs: optional(NonNegativeInt)
  }).pipe(Schema.filter(hasAnyKey(CANCEL_PREDICATES), atLeastOneOf(CANCEL_PREDICATES, "CancelMatching"))),
  TailLogs: Schema.Struct({
    job: JobAddress,
    follow: Schema.Boolean,
    since_seq: optional(NonNegativeInt),
    kinds: optional(Schema.Array(LogKind))
  }),
  Retry: Schema.Struct({
    job: optional(JobAddress),
    invocation_prefix: optional(InvocationPrefix),
    repo_root: Schema.String,
    /** The requester's environment: supplies the secret-named variables that were scrubbed from the stored env. */
    env: optional(Env)
  }).pipe(Schema.filter(hasAnyKey(RETRY_TARGETS), atLeastOneOf(RETRY_TARGETS, "Retry"))),
  Prune: Schema.Struct({
    repo_root: optional(Schema.String),
    dry_run: Schema.Boolean,
    older_than_secs: optional(NonNegativeInt)
  }),
  Shutdown: Empty
} satisfies { readonly [K in RequestName]: Schema.Schema.AnyNoContext }

export type RequestPayloads = { readonly [K in RequestName]: (typeof RequestPayloadSchemas)[K]["Type"] }

/** A request; `v` is any number here: decodeRequest answers an unsupported version with SCHEMA_MISMATCH. */
export type RequestEnvelope<N extends RequestName = RequestName> = {
  [K in N]: { readonly v: number; readonly id?: string; readonly req: K; readonly payload: RequestPayloads[K] }
}[N]

/** Requests whose payload may be left out entirely (it then decodes as `{}`). */
const PAYLOAD_MAY_BE_ABSENT: ReadonlySet<RequestName> = new Set(["Status", "Shutdown", "CancelAll", "ListJobs"])

// ---------------------------------------------------------------- response payloads

export const RunAcceptedJob = Schema.Struct({ name: Schema.String, status: JobStatus })
export type RunAcceptedJob = typeof RunAcceptedJob.Type

/**
 * A background job of this repo that ended failed, timed_out or crashed, reported once with the
 * next hook run in any of its worktrees (SPEC §8).
 */
export const FailureNotice = Schema.Struct({
  invocation_id: InvocationId,
  name: Schema.String,
  hook: Schema.String,
  status: JobStatus,
  exit_code: Schema.NullOr(Schema.Number),
  signal: Schema.NullOr(Schema.String),
  finished_at: Schema.NullOr(Schema.Number)
})
export type FailureNotice = typeof FailureNotice.Type

/**
 * A repository a cross-repo request (ListJobs all_repos, Prune without repo_root) left out because
 * its state cannot be used (a damaged or unreadable database): the answer carries the others, and
 * this says which one is missing, why (`code`, as the error answer for that repository alone would
 * be) and how to fix it (`message`).
 */
export const UnavailableRepo = Schema.Struct({
  repo_id: Schema.String,
  /** The repository's root when it is known (its database was open before it was damaged). */
  root: optional(Schema.String),
  code: ErrorCode,
  message: Schema.String
}).annotations({ identifier: "UnavailableRepo" })
export type UnavailableRepo = typeof UnavailableRepo.Type

export const PrunedItem = Schema.Struct({
  repo_id: Schema.String,
  invocation_id: Schema.String,
  worktree: Schema.String,
  reason: oneOf("expired", "over_budget", "older_than"),
  jobs: NonNegativeInt,
  bytes: NonNegativeInt
})
export type PrunedItem = typeof PrunedItem.Type

export const StreamOutcome = oneOf("completed", "failed", "cancelled")
export type StreamOutcome = typeof StreamOutcome.Type
export const StreamEndReason = oneOf("terminal", "shutdown", "replayed", "completed", "failed", "cancelled")
export type StreamEndReason = typeof StreamEndReason.Type

/** One slot pool: its bound, the jobs holding a slot, and the jobs waiting for one (their needs met). */
export const SlotPool = Schema.Struct({ max: NonNegativeInt, running: NonNegativeInt, queued: NonNegativeInt }).annotations({ identifier: "SlotPool" })

export const ResponsePayloadSchemas = {
  Welcome: Schema.Struct({
    server_version: Schema.String,
    protocol_versions: Schema.Array(Int),
    pid: Int,
    started_at: EpochMillis,
    state_dir: Schema.String,
    /**
     * Extra (forward-compatible): the log record format this supervisor writes and streams — 2: an
     * output record's `data` may hold several lines joined by "\n" (1: exactly one line).
     */
    log_format: optional(Int)
  }),
  SupervisorStatus: Schema.Struct({
    pid: Int,
    uptime_ms: NonNegativeInt,
    repos: NonNegativeInt,
    running: NonNegativeInt,
    queued: NonNegativeInt,
    connections: NonNegativeInt,
    rss_bytes: NonNegativeInt,
    version: Schema.String,
    /** Extra (forward-compatible): the foreground and background slot pools (SPEC §3). */
    pools: optional(Schema.Struct({ foreground: SlotPool, background: SlotPool })),
    /** Extra (forward-compatible): the last retention sweep, when there was one. */
    last_sweep: optional(Schema.Struct({ at: EpochMillis, invocations: NonNegativeInt, bytes: NonNegativeInt })),
    /**
     * Extra: how jobs are contained — each in its own cgroup (a job cannot escape cancel by
     * setsid), or only by its process group. Absent from older supervisors.
     */
    containment: optional(Schema.Literal("cgroup", "process group"))
  }),
  RunAccepted: Schema.Struct({
    invocation_id: InvocationId,
    repo_id: Schema.String,
    jobs: Schema.Array(RunAcceptedJob),
    /** Present (non-empty) only on a hook run (RunJobs without `jobs`) that has failures to report. */
    notices: optional(Schema.Array(FailureNotice))
  }),
  Jobs: Schema.Struct({
    jobs: Schema.Array(JobInfo),
    /** Extra (forward-compatible): how many jobs match the filters in all, before `limit` (hookctl's "… 143 more"). */
    total: optional(NonNegativeInt),
    /** Extra: on a paged answer, present while more rows follow — send it back as `cursor`. */
    next_cursor: optional(Schema.String),
    /** Extra: present (non-empty) when a cross-repo listing left repositories out; the jobs are the others'. */
    unavailable: optional(Schema.Array(UnavailableRepo))
  }),
  Job: Schema.Struct({ job: JobInfo }),
  Cancelled: Schema.Struct({
    count: NonNegativeInt,
    names: Schema.Array(Schema.String),
    /** Extra: present (non-empty) when a CancelMatching across repositories could not read some; the others' jobs were cancelled. */
    unavailable: optional(Schema.Array(UnavailableRepo))
  }),
  StreamFrame: Schema.Struct({ record: LogRecord, job: optional(Schema.String) }),
  /**
   * `reason` ends a TailLogs stream ("terminal" after the terminal record, "replayed" for follow:false,
   * "shutdown" when the supervisor stops). `outcome` ends a RunJobs{wait:true} stream:
   * "completed" when every waited job completed, "failed" otherwise, "cancelled" when cancelled.
   * `jobs` (extra, forward-compatible) ends a RunJobs{wait:true} stream too: the waited jobs as they
   * ended (skipped ones included), so the hook prints its summary without another round trip.
   */
  StreamEnd: Schema.Struct({ reason: optional(StreamEndReason), outcome: optional(StreamOutcome), jobs: optional(Schema.Array(JobInfo)) }),
  Pruned: Schema.Struct({
    invocations: NonNegativeInt,
    jobs: NonNegativeInt,
    bytes: NonNegativeInt,
    dry_run: Schema.Boolean,
    items: Schema.Array(PrunedItem),
    /** Extra: present (non-empty) when a prune of every repository left some out; the others were pruned. */
    unavailable: optional(Schema.Array(UnavailableRepo))
  }),
  Ack: Schema.Struct({ message: Schema.String }),
  Error: Schema.Struct({ code: ErrorCode, message: Schema.String, details: optional(Schema.Unknown) })
} satisfies Record<string, Schema.Schema.AnyNoContext>

export type ResponseKind = keyof typeof ResponsePayloadSchemas
export type ResponsePayloads = { readonly [K in ResponseKind]: (typeof ResponsePayloadSchemas)[K]["Type"] }

export type ResponseEnvelope<K extends ResponseKind = ResponseKind> = {
  [P in K]: { readonly v: 1; readonly id?: string; readonly kind: P; readonly payload: ResponsePayloads[P] }
}[K]

export const RESPONSE_KINDS = Object.keys(ResponsePayloadSchemas) as ReadonlyArray<ResponseKind>

// ---------------------------------------------------------------- envelopes

/** The version field of a request. Any number type-checks (types.ts); decodeRequest answers others with SCHEMA_MISMATCH. */
const RequestVersion = Schema.Number.annotations({
  description: "protocol version; this build speaks 1",
  jsonSchema: { type: "integer", const: 1 }
})
const RequestId = Schema.String.annotations({ description: "client-chosen; echoed in every response to this request" })
const ResponseId = Schema.String.annotations({ description: "the id of the request this answers, when it had one" })

const payloadDefs = <K extends string, P>(names: ReadonlyArray<K>, payloads: P, suffix: string) =>
  Object.fromEntries(
    names.map((name) => [name, (payloads as Record<K, Schema.Schema.AnyNoContext>)[name].annotations({ identifier: `${name}${suffix}` })])
  ) as P

const namedRequestPayloads = payloadDefs(REQUEST_NAMES, RequestPayloadSchemas, "Payload")
const namedResponsePayloads = payloadDefs(RESPONSE_KINDS, ResponsePayloadSchemas, "Payload")

const requestEnvelope = <K extends RequestName>(req: K) => {
  const payload = namedRequestPayloads[req] as (typeof RequestPayloadSchemas)[K]
  return Schema.Struct({
    v: RequestVersion,
    id: optional(RequestId),
    req: Schema.Literal(req),
    payload: PAYLOAD_MAY_BE_ABSENT.has(req)
      ? Schema.optionalWith(payload, { exact: true, default: () => ({}) as never })
      : payload
  }) as unknown as Schema.Schema<RequestEnvelope<K>, unknown>
}

/** One envelope schema per request name; decoding `raw` against the right one yields decode paths like `payload.job.name`. */
export const RequestEnvelopeSchemas: { readonly [K in RequestName]: Schema.Schema<RequestEnvelope<K>, unknown> } =
  Object.fromEntries(REQUEST_NAMES.map((req) => [req, requestEnvelope(req)])) as never

export const RequestEnvelope = Schema.Union(...REQUEST_NAMES.map((req) => RequestEnvelopeSchemas[req])).annotations({
  identifier: "Request"
}) as unknown as Schema.Schema<RequestEnvelope, unknown>

const responseEnvelope = <K extends ResponseKind>(kind: K) =>
  Schema.Struct({
    v: Schema.Literal(1),
    id: optional(ResponseId),
    kind: Schema.Literal(kind),
    payload: namedResponsePayloads[kind]
  })

export const ResponseEnvelope = Schema.Union(...RESPONSE_KINDS.map(responseEnvelope)).annotations({
  identifier: "Response"
}) as unknown as Schema.Schema<ResponseEnvelope, unknown>
