// The common shape of a job checked by hand (issue 14 item 8): decoding 50,000 jobs through
// effect/Schema took 1.2–1.4 s, most of it per-job overhead of the generic decoder. A job made of
// the keys below — what generated and hand-written configs almost always hold — is checked here with
// exactly the rules of JobConfig in schema.ts; anything else (another key, a value of another kind,
// a value the rules refuse) returns undefined and goes through the schema, which also writes the
// message. So this only ever accepts what the schema accepts, and never words an error itself.
import { JOB_NAME_PATTERN } from "../protocol/paths"
import { CONCURRENCY_POLICIES } from "../protocol/types"
import { isInsideRelativePath, TAG, type JobConfigValue } from "./schema"
import { parseDuration } from "./units"

const FAST_KEYS: ReadonlySet<string> = new Set(["name", "run", "cwd", "needs", "tags", "background", "timeout", "concurrency"])
const CONCURRENCY: ReadonlySet<unknown> = new Set(CONCURRENCY_POLICIES)

type Loose = { readonly [key: string]: unknown }
type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const isPlainObject = (value: unknown): value is Loose =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype

/** A copy of a list of strings that all match `pattern` (Schema.Array(String + pattern)), else undefined. */
const stringsMatching = (value: unknown, pattern: RegExp): string[] | undefined => {
  if (!Array.isArray(value)) return undefined
  for (const item of value) if (typeof item !== "string" || !pattern.test(item)) return undefined
  return [...(value as string[])]
}

/** Duration: a number ≥ 0 and finite (seconds), or a string parseDuration understands. */
const isDuration = (value: unknown): boolean =>
  typeof value === "number" ? value >= 0 && Number.isFinite(value) : typeof value === "string" && parseDuration(value) !== undefined

/**
 * The decoded job — a new object with the keys in JobConfig's order, lists copied, as
 * Schema.decodeUnknown(JobConfig) returns it — or undefined when the schema has to look at it.
 */
export const fastJob = (value: unknown): JobConfigValue | undefined => {
  if (!isPlainObject(value)) return undefined
  for (const key of Object.keys(value)) if (!FAST_KEYS.has(key)) return undefined
  const { name, run, cwd, needs, tags, background, timeout, concurrency } = value
  if (typeof name !== "string" || !JOB_NAME_PATTERN.test(name)) return undefined
  if (typeof run !== "string" || run.length === 0) return undefined
  const job: Mutable<JobConfigValue> = { name, run }
  // `in`, not `!== undefined`: the schema's keys are exact, so a key holding undefined is refused there.
  if ("cwd" in value) {
    if (typeof cwd !== "string" || !isInsideRelativePath(cwd)) return undefined
    job.cwd = cwd
  }
  if ("needs" in value) {
    const names = stringsMatching(needs, JOB_NAME_PATTERN)
    if (names === undefined) return undefined
    job.needs = names
  }
  if ("tags" in value) {
    const list = stringsMatching(tags, TAG)
    if (list === undefined) return undefined
    job.tags = list
  }
  if ("background" in value) {
    if (typeof background !== "boolean") return undefined
    job.background = background
  }
  if ("timeout" in value) {
    if (!isDuration(timeout)) return undefined
    job.timeout = timeout as JobConfigValue["timeout"]
  }
  if ("concurrency" in value) {
    if (!CONCURRENCY.has(concurrency)) return undefined
    job.concurrency = concurrency as JobConfigValue["concurrency"]
  }
  return job
}
