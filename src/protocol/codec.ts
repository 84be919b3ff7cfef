// Decoding and encoding whole envelopes against the schemas: the supervisor's reading of a request frame
// (with its readable errors) and the tests' round trips.
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { RequestEnvelope, RequestEnvelopeSchemas, ResponseEnvelope } from "./schemas"
import { REQUEST_NAMES, SUPPORTED_PROTOCOL_VERSIONS, type RequestName } from "./types"

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

const isRequestName = (req: unknown): req is RequestName =>
  typeof req === "string" && (REQUEST_NAMES as ReadonlyArray<string>).includes(req)

const decodeOptions = { errors: "all", onExcessProperty: "ignore" } as const

/**
 * The requester's environment (RunJobs, Retry): 50–200 string pairs, ~2 µs each through Schema's
 * record decoding when warm and several times that in a supervisor that sees one hook a minute —
 * on the path of every waited hook (issue 13). A record that is all strings is checked with a loop
 * and kept as it came (JSON.parse made it, nobody else holds it); anything else is left to Schema,
 * which reports it.
 */
const ENV_FIELD: Partial<Record<RequestName, "env">> = { RunJobs: "env", Retry: "env" }

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isStringRecord = (value: unknown): value is Record<string, string> => {
  if (!isPlainObject(value)) return false
  for (const key of Object.keys(value)) if (typeof value[key] !== "string") return false
  return true
}

/** Decodes `raw` with its environment set aside when that is a plain string record; undefined when it is not (or the rest fails). */
const decodeWithEnvAside = (envelope: Schema.Schema<RequestEnvelope, unknown>, raw: Record<string, unknown>, req: RequestName): RequestEnvelope | undefined => {
  const field = ENV_FIELD[req]
  const payload = raw.payload
  if (field === undefined || !isPlainObject(payload) || !isStringRecord(payload[field])) return undefined
  const decoded = Schema.decodeUnknownEither(envelope)({ ...raw, payload: { ...payload, [field]: {} } }, decodeOptions)
  if (Either.isLeft(decoded)) return undefined
  return { ...decoded.right, payload: { ...decoded.right.payload, [field]: payload[field] } } as RequestEnvelope
}

/**
 * Decodes one parsed request frame. Checks, in order: the version `v`, the request name `req`, then the
 * payload. The request `id` is echoed on errors whenever it is a string, so the client can match the answer.
 */
export const decodeRequest = (raw: Record<string, unknown>): Either.Either<RequestEnvelope, RequestDecodeError> => {
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
  const envelope = RequestEnvelopeSchemas[raw.req] as unknown as Schema.Schema<RequestEnvelope, unknown>
  const fast = decodeWithEnvAside(envelope, raw, raw.req)
  if (fast !== undefined) return Either.right(fast)
  const decoded = Schema.decodeUnknownEither(envelope)(raw, decodeOptions)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const problems = decodeProblems(decoded.left)
  return fail("BAD_REQUEST", `invalid ${raw.req} request: ${describeProblems(problems)}`, problems)
}

/** Decodes one parsed response frame (used by tests and tools; the client itself does not import effect). */
export const decodeResponse = (raw: unknown): Either.Either<ResponseEnvelope, ParseResult.ParseError> =>
  Schema.decodeUnknownEither(ResponseEnvelope)(raw, decodeOptions)

/** Encodes a request envelope back to its JSON form (the inverse of decodeRequest for valid input). */
export const encodeRequest = (request: RequestEnvelope): unknown => Schema.encodeSync(RequestEnvelope)(request)

/** Encodes a response envelope to its JSON form, validating it on the way (throws on an invalid response). */
export const encodeResponse = (response: ResponseEnvelope): unknown => Schema.encodeSync(ResponseEnvelope)(response)
