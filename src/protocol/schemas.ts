// effect/Schema definitions of protocol v1 (SPEC §2, §3, §5). They decode to exactly the plain shapes of
// types.ts (checked at compile time at the bottom of this file) and are the source of schema/protocol.json.
// Decoding ignores unknown fields (forward compatibility); optional fields are exact (absent, never undefined).
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { JOB_NAME_PATTERN } from "./paths"
import type * as T from "./types"
import { ERROR_CODES, JOB_STATUSES, REQUEST_NAMES, SUPPORTED_PROTOCOL_VERSIONS } from "./types"

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

const isKnownStatus = (s: string): s is T.KnownJobStatus => (JOB_STATUSES as ReadonlyArray<string>).includes(s)

/** Any string decodes: a status from a newer supervisor or database that this build does not know becomes "unknown". */
export const JobStatus = Schema.transform(
  Schema.String.annotations({ description: `one of ${JOB_STATUSES.join(", ")} (others read as "unknown")` }),
  Schema.Literal(...JOB_STATUSES, "unknown"),
  { strict: true, decode: (s) => (isKnownStatus(s) ? s : "unknown"), encode: (s) => s }
)

export const RunMode = oneOf("auto", "foreground", "background")
export const LogKind = oneOf("stdout", "stderr", "status")
export const ErrorCode = oneOf(...ERROR_CODES)
const Env = Schema.Record({ key: Schema.String, value: Schema.String })

export const JobAddress = Schema.Struct({
  repo_root: Schema.String,
  invocation_prefix: optional(InvocationPrefix),
  name: JobName
}).annotations({
  identifier: "JobAddress",
  description: "A job: without invocation_prefix, the newest invocation in the repo that has a job of that name"
})

export const JobLogOptions = Schema.Struct({
  retention_secs: optional(NonNegativeInt),
  max_bytes: optional(NonNegativeInt),
  sampling_every_nth: optional(Schema.Number.pipe(Schema.int(), Schema.positive()))
}).annotations({ identifier: "JobLogOptions" })

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
  skip_reason: optional(Schema.String)
}).annotations({ identifier: "JobSpec" })

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
  error: NullableString
}).annotations({ identifier: "JobInfo" })

const statusEvent = <E extends string, F extends Schema.Struct.Fields>(event: E, fields: F) =>
  Schema.Struct({ event: Schema.Literal(event), ...fields })

export const StatusEvent = Schema.Union(
  statusEvent("started", { pid: Int }),
  statusEvent("finished", { exit_code: Int }),
  statusEvent("signaled", { signal: Schema.String }),
  statusEvent("cancelled", { by: Schema.String }),
  statusEvent("timed_out", { after_ms: NonNegativeInt }),
  statusEvent("skipped", { reason: Schema.String }),
  statusEvent("crashed", { message: Schema.String }),
  statusEvent("truncated", { at_bytes: NonNegativeInt })
).annotations({ identifier: "StatusEvent" })

export const LogRecord = Schema.Union(
  Schema.Struct({ seq: NonNegativeInt, ts: EpochMillis, kind: Schema.Literal("stdout", "stderr"), data: Schema.String }),
  Schema.Struct({ seq: NonNegativeInt, ts: EpochMillis, kind: Schema.Literal("status"), data: StatusEvent })
).annotations({ identifier: "LogRecord", description: "One line of a job's output.jsonl" })

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
    limit: optional(NonNegativeInt)
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
    env: optional(Env)
  }).pipe(Schema.filter(hasAnyKey(RETRY_TARGETS), atLeastOneOf(RETRY_TARGETS, "Retry"))),
  Prune: Schema.Struct({
    repo_root: optional(Schema.String),
    dry_run: Schema.Boolean,
    older_than_secs: optional(NonNegativeInt)
  }),
  Shutdown: Empty
} as const

/** Requests whose payload may be left out entirely (it then decodes as `{}`). */
const PAYLOAD_MAY_BE_ABSENT: ReadonlySet<T.RequestName> = new Set(["Status", "Shutdown", "CancelAll", "ListJobs"])

// ---------------------------------------------------------------- response payloads

export const RunAcceptedJob = Schema.Struct({ name: Schema.String, status: JobStatus })

export const PrunedItem = Schema.Struct({
  repo_id: Schema.String,
  invocation_id: Schema.String,
  worktree: Schema.String,
  reason: oneOf("expired", "over_budget", "older_than"),
  jobs: NonNegativeInt,
  bytes: NonNegativeInt
})

export const StreamOutcome = oneOf("completed", "failed", "cancelled")
export const StreamEndReason = oneOf("terminal", "shutdown", "replayed", "completed", "failed", "cancelled")

export const ResponsePayloadSchemas = {
  Welcome: Schema.Struct({
    server_version: Schema.String,
    protocol_versions: Schema.Array(Int),
    pid: Int,
    started_at: EpochMillis,
    state_dir: Schema.String
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
    last_sweep: optional(Schema.Struct({ at: EpochMillis, invocations: NonNegativeInt, bytes: NonNegativeInt }))
  }),
  RunAccepted: Schema.Struct({ invocation_id: InvocationId, repo_id: Schema.String, jobs: Schema.Array(RunAcceptedJob) }),
  Jobs: Schema.Struct({ jobs: Schema.Array(JobInfo) }),
  Job: Schema.Struct({ job: JobInfo }),
  Cancelled: Schema.Struct({ count: NonNegativeInt, names: Schema.Array(Schema.String) }),
  StreamFrame: Schema.Struct({ record: LogRecord, job: optional(Schema.String) }),
  StreamEnd: Schema.Struct({ reason: optional(StreamEndReason), outcome: optional(StreamOutcome) }),
  Pruned: Schema.Struct({
    invocations: NonNegativeInt,
    jobs: NonNegativeInt,
    bytes: NonNegativeInt,
    dry_run: Schema.Boolean,
    items: Schema.Array(PrunedItem)
  }),
  Ack: Schema.Struct({ message: Schema.String }),
  Error: Schema.Struct({ code: ErrorCode, message: Schema.String, details: optional(Schema.Unknown) })
} as const

export const RESPONSE_KINDS = Object.keys(ResponsePayloadSchemas) as ReadonlyArray<T.ResponseKind>

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

const requestEnvelope = <K extends T.RequestName>(req: K) => {
  const payload = namedRequestPayloads[req] as (typeof RequestPayloadSchemas)[K]
  return Schema.Struct({
    v: RequestVersion,
    id: optional(RequestId),
    req: Schema.Literal(req),
    payload: PAYLOAD_MAY_BE_ABSENT.has(req)
      ? Schema.optionalWith(payload, { exact: true, default: () => ({}) as never })
      : payload
  }) as unknown as Schema.Schema<T.RequestEnvelope<K>, unknown>
}

/** One envelope schema per request name; decoding `raw` against the right one yields decode paths like `payload.job.name`. */
export const RequestEnvelopeSchemas: { readonly [K in T.RequestName]: Schema.Schema<T.RequestEnvelope<K>, unknown> } =
  Object.fromEntries(REQUEST_NAMES.map((req) => [req, requestEnvelope(req)])) as never

export const RequestEnvelope = Schema.Union(...REQUEST_NAMES.map((req) => RequestEnvelopeSchemas[req])).annotations({
  identifier: "Request"
}) as unknown as Schema.Schema<T.RequestEnvelope, unknown>

const responseEnvelope = <K extends T.ResponseKind>(kind: K) =>
  Schema.Struct({
    v: Schema.Literal(1),
    id: optional(ResponseId),
    kind: Schema.Literal(kind),
    payload: namedResponsePayloads[kind]
  })

export const ResponseEnvelope = Schema.Union(...RESPONSE_KINDS.map(responseEnvelope)).annotations({
  identifier: "Response"
}) as unknown as Schema.Schema<T.ResponseEnvelope, unknown>

// ---------------------------------------------------------------- decoding

export interface RequestDecodeError {
  readonly code: "SCHEMA_MISMATCH" | "BAD_REQUEST"
  readonly message: string
  readonly id?: string
  readonly details?: unknown
}

/** One decode problem, its path rendered like `payload.job.name`. */
export interface DecodeProblem {
  readonly path: string
  readonly message: string
}

const renderPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`),
    ""
  )

/** Flattens a parse error into readable problems (all of them: decoding runs with `errors: "all"`). */
export const decodeProblems = (error: ParseResult.ParseError): ReadonlyArray<DecodeProblem> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    path: renderPath(issue.path),
    message: issue.message
  }))

const describeProblems = (problems: ReadonlyArray<DecodeProblem>): string =>
  problems.map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`)).join("; ")

const isRequestName = (req: unknown): req is T.RequestName =>
  typeof req === "string" && (REQUEST_NAMES as ReadonlyArray<string>).includes(req)

const decodeOptions = { errors: "all", onExcessProperty: "ignore" } as const

/**
 * Decodes one parsed request frame. Checks, in order: the version `v`, the request name `req`, then the
 * payload. The request `id` is echoed on errors whenever it is a string, so the client can match the answer.
 */
export const decodeRequest = (raw: Record<string, unknown>): Either.Either<T.RequestEnvelope, RequestDecodeError> => {
  const id = typeof raw.id === "string" ? raw.id : undefined
  const fail = (code: RequestDecodeError["code"], message: string, details?: unknown) =>
    Either.left<RequestDecodeError>({
      code,
      message,
      ...(id === undefined ? {} : { id }),
      ...(details === undefined ? {} : { details })
    })

  if (typeof raw.v !== "number") return fail("BAD_REQUEST", "missing protocol version field v")
  if (!SUPPORTED_PROTOCOL_VERSIONS.includes(raw.v)) {
    return fail(
      "SCHEMA_MISMATCH",
      `protocol version ${raw.v} is not supported; this supervisor speaks version ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`,
      { supported: [...SUPPORTED_PROTOCOL_VERSIONS] }
    )
  }
  const known = `known requests: ${REQUEST_NAMES.join(", ")}`
  if (raw.req === undefined) return fail("BAD_REQUEST", `missing request name field req; ${known}`)
  if (!isRequestName(raw.req)) return fail("BAD_REQUEST", `unknown request ${JSON.stringify(raw.req)}; ${known}`)

  // Schema is invariant in its type; the per-name schema decodes to one member of the RequestEnvelope union.
  const envelope = RequestEnvelopeSchemas[raw.req] as unknown as Schema.Schema<T.RequestEnvelope, unknown>
  const decoded = Schema.decodeUnknownEither(envelope)(raw, decodeOptions)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const problems = decodeProblems(decoded.left)
  return fail("BAD_REQUEST", `invalid ${raw.req} request: ${describeProblems(problems)}`, problems)
}

/** Decodes one parsed response frame (used by tests and tools; the client itself does not import effect). */
export const decodeResponse = (raw: unknown): Either.Either<T.ResponseEnvelope, ParseResult.ParseError> =>
  Schema.decodeUnknownEither(ResponseEnvelope)(raw, decodeOptions)

/** Encodes a request envelope back to its JSON form (the inverse of decodeRequest for valid input). */
export const encodeRequest = (request: T.RequestEnvelope): unknown => Schema.encodeSync(RequestEnvelope)(request)

/** Encodes a response envelope to its JSON form, validating it on the way (throws on an invalid response). */
export const encodeResponse = (response: T.ResponseEnvelope): unknown => Schema.encodeSync(ResponseEnvelope)(response)

// ---------------------------------------------------------------- schemas ⇔ types.ts

/** Mutual assignability: the decoded shape and the plain type accept exactly the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type AllTrue<T extends { readonly [k: string]: true }> = T
type TypeOf<S extends Schema.Schema.Any> = Schema.Schema.Type<S>

/** Fails to compile when a schema and its type in types.ts drift apart. */
export type SchemasMatchTypes = AllTrue<{
  JobAddress: Same<TypeOf<typeof JobAddress>, T.JobAddress>
  JobLogOptions: Same<TypeOf<typeof JobLogOptions>, T.JobLogOptions>
  JobSpec: Same<TypeOf<typeof JobSpec>, T.JobSpec>
  JobInfo: Same<TypeOf<typeof JobInfo>, T.JobInfo>
  JobStatus: Same<TypeOf<typeof JobStatus>, T.JobStatus>
  StatusEvent: Same<TypeOf<typeof StatusEvent>, T.StatusEvent>
  LogRecord: Same<TypeOf<typeof LogRecord>, T.LogRecord>
  RunMode: Same<TypeOf<typeof RunMode>, T.RunMode>
  LogKind: Same<TypeOf<typeof LogKind>, T.LogKind>
  ErrorCode: Same<TypeOf<typeof ErrorCode>, T.ErrorCode>
  RunAcceptedJob: Same<TypeOf<typeof RunAcceptedJob>, T.RunAcceptedJob>
  PrunedItem: Same<TypeOf<typeof PrunedItem>, T.PrunedItem>
  StreamOutcome: Same<TypeOf<typeof StreamOutcome>, T.StreamOutcome>
  StreamEndReason: Same<TypeOf<typeof StreamEndReason>, T.StreamEndReason>
}>
export type RequestPayloadsMatchTypes = AllTrue<{
  [K in T.RequestName]: Same<TypeOf<(typeof RequestPayloadSchemas)[K]>, T.RequestPayloads[K]>
}>
export type ResponsePayloadsMatchTypes = AllTrue<{
  [K in T.ResponseKind]: Same<TypeOf<(typeof ResponsePayloadSchemas)[K]>, T.ResponsePayloads[K]>
}>
export type RequestNamesMatch = AllTrue<{ names: Same<keyof typeof RequestPayloadSchemas, T.RequestName> }>
export type ResponseKindsMatch = AllTrue<{ kinds: Same<keyof typeof ResponsePayloadSchemas, T.ResponseKind> }>
