// Checks a merged config value against HookdConfigSchema and the `needs` rules, and turns the
// first problem (in file order, then line order) into a ConfigInvalid naming file, line and path.
import { Either, Option, ParseResult, Schema, SchemaAST as AST } from "effect"
import { findNeedsProblem } from "../domain/dag"
import { ConfigInvalid } from "./errors"
import { closestName, isGitHookName, unknownHookMessage } from "./hook-names"
import { fastJob } from "./fast-job"
import { GIT_HOOK_NAMES, HookdConfigSchema, JobConfig, type HookdConfig } from "./schema"
import { formatPath, type ConfigPath, type Locations } from "./yaml-source"

export interface PathProblem {
  readonly path: ConfigPath
  readonly message: string
}

const DECODE_OPTIONS = { errors: "all", onExcessProperty: "error" } as const
/**
 * Built on first use: Schema.decodeUnknownEither compiles the schema's whole parser when called, and
 * at module load that was ~6 ms of every supervisor start (issue 13) for a config read much later.
 */
const lazily = <A>(make: () => A): (() => A) => {
  let made: A | undefined
  return () => (made ??= make())
}
const configDecoder = lazily(() => Schema.decodeUnknownEither(HookdConfigSchema, DECODE_OPTIONS))
const jobDecoder = lazily(() => Schema.decodeUnknownEither(JobConfig, DECODE_OPTIONS))
const decodeConfig = (value: unknown) => configDecoder()(value)
const decodeJob = (value: unknown) => jobDecoder()(value)

type Decoded = Either.Either<HookdConfig, ReadonlyArray<PathProblem>>

/** The whole config through the schema: the reference the faster decodeJobsApart must agree with. */
const decodeWhole = (value: unknown): Decoded =>
  Either.mapLeft(decodeConfig(value), (error) => issueProblems(error.issue, [], undefined))

type Loose = Record<string, unknown>
const isPlainObject = (value: unknown): value is Loose => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * The same answer as decodeWhole, faster on big configs (issue 14 item 8): the config with every
 * hook's jobs list emptied goes through the schema, and each job on its own — through fastJob when
 * it has the common shape, else through the schema for JobConfig. At the first problem the whole
 * config goes through the schema after all, so the problems and their order (which decides the
 * message) are the schema's own, by construction; only a config that is fine is decoded apart.
 */
const decodeJobsApart = (value: unknown): Decoded => {
  if (!isPlainObject(value) || !isPlainObject(value.hooks)) return decodeWhole(value)
  const lists: Array<readonly [string, ReadonlyArray<unknown>]> = []
  const skeletonHooks: Loose = {}
  for (const [hook, config] of Object.entries(value.hooks)) {
    const jobs = isPlainObject(config) ? config.jobs : undefined
    if (Array.isArray(jobs)) lists.push([hook, jobs])
    skeletonHooks[hook] = Array.isArray(jobs) ? { ...(config as Loose), jobs: [] } : config
  }
  const skeleton = decodeConfig({ ...value, hooks: skeletonHooks })
  if (Either.isLeft(skeleton)) return decodeWhole(value)
  const hooks: Loose = { ...skeleton.right.hooks }
  for (const [hook, jobs] of lists) {
    const decoded: unknown[] = new Array(jobs.length)
    for (let i = 0; i < jobs.length; i++) {
      const job = fastJob(jobs[i]) ?? Either.getOrUndefined(decodeJob(jobs[i]))
      if (job === undefined) return decodeWhole(value)
      decoded[i] = job
    }
    hooks[hook] = { ...(hooks[hook] as Loose), jobs: decoded }
  }
  return Either.right({ ...skeleton.right, hooks } as HookdConfig)
}

const finish = (decoded: Decoded, locations: Locations, files: ReadonlyArray<string>): Either.Either<HookdConfig, ConfigInvalid> => {
  const problems = Either.isLeft(decoded) ? decoded.left : [...needsProblems(decoded.right), ...hookKeyProblems(decoded.right)]
  if (problems.length === 0 && Either.isRight(decoded)) return Either.right(decoded.right)
  return Either.left(toConfigInvalid(problems, locations, files))
}

/**
 * Validates `value`; `files` lists the config files in merge order (a problem in the first one is
 * reported before one in the second; a problem without any location names the first file).
 */
export const validateConfig = (
  value: unknown,
  locations: Locations,
  files: ReadonlyArray<string>
): Either.Either<HookdConfig, ConfigInvalid> => finish(decodeJobsApart(value), locations, files)

/** validateConfig with the whole config decoded by the schema in one go: what the tests and bench/ compare it with. */
export const validateConfigBySchemaAlone = (
  value: unknown,
  locations: Locations,
  files: ReadonlyArray<string>
): Either.Either<HookdConfig, ConfigInvalid> => finish(decodeWhole(value), locations, files)

const toConfigInvalid = (problems: ReadonlyArray<PathProblem>, locations: Locations, files: ReadonlyArray<string>) => {
  const located = problems.map((problem) => ({ problem, location: locations.find(problem.path) }))
  const rank = (l: (typeof located)[number]) => [
    l.location ? files.indexOf(l.location.file) : files.length,
    l.location?.line ?? Number.MAX_SAFE_INTEGER
  ]
  const first = [...located].sort((a, b) => {
    const [fa, la] = rank(a)
    const [fb, lb] = rank(b)
    return fa - fb || la - lb
  })[0]
  const more = problems.length - 1
  return new ConfigInvalid({
    file: first.location?.file ?? files[0] ?? "",
    line: first.location?.line,
    path: formatPath(first.problem.path),
    message: more > 0 ? `${first.problem.message} (and ${more} more problem${more === 1 ? "" : "s"})` : first.problem.message
  })
}

// ---------------------------------------------------------------- needs

/** Duplicate names, unknown `needs` and cycles, per hook, over all of its jobs. */
export const needsProblems = (config: HookdConfig): PathProblem[] => {
  const problems: PathProblem[] = []
  for (const hook of GIT_HOOK_NAMES) {
    const jobs = config.hooks?.[hook]?.jobs ?? []
    const problem = findNeedsProblem(jobs)
    if (problem === undefined) continue
    const base = ["hooks", hook, "jobs"]
    // The first index of each name (a map, not a search per problem: a hook may have 10,000 jobs).
    const firstIndex = new Map<string, number>()
    jobs.forEach((job, i) => firstIndex.has(job.name) || firstIndex.set(job.name, i))
    if (problem.kind === "duplicate") {
      const first = firstIndex.get(problem.job)!
      const second = jobs.findIndex((job, i) => i > first && job.name === problem.job)
      problems.push({ path: [...base, second, "name"], message: problem.message })
    } else if (problem.kind === "unknown") {
      const index = firstIndex.get(problem.job)!
      const needIndex = (jobs[index].needs ?? []).indexOf(problem.need)
      problems.push({ path: [...base, index, "needs", needIndex], message: problem.message })
    } else {
      problems.push({ path: [...base, firstIndex.get(problem.job)!, "needs"], message: problem.message })
    }
  }
  return problems
}

/** Keys that only one hook understands, written on another (where they would silently do nothing). */
export const hookKeyProblems = (config: HookdConfig): PathProblem[] =>
  GIT_HOOK_NAMES.filter((hook) => hook !== "post-checkout" && config.hooks?.[hook]?.file_checkouts !== undefined).map((hook) => ({
    path: ["hooks", hook, "file_checkouts"],
    message: "file_checkouts applies only to post-checkout (git runs no other hook for file checkouts)"
  }))

// ---------------------------------------------------------------- schema issues

const annotatedMessage = (ast: AST.AST, issue: ParseResult.ParseIssue): string | undefined => {
  const annotation = AST.getMessageAnnotation(ast)
  if (Option.isNone(annotation)) return undefined
  const out = annotation.value(issue)
  if (typeof out === "string") return out
  if (typeof out === "object" && out !== null && "message" in out && typeof out.message === "string") return out.message
  return undefined
}

const show = (value: unknown): string => {
  const text = value === undefined ? "nothing" : JSON.stringify(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** An issue meaning "this value is not even of that kind" (a string where a list goes, …). */
const isWrongKind = (issue: ParseResult.ParseIssue): boolean => {
  switch (issue._tag) {
    case "Type":
      return true
    case "Refinement":
      return issue.kind === "From" && isWrongKind(issue.issue)
    case "Transformation":
      return isWrongKind(issue.issue)
    case "Composite":
      return AST.isUnion(issue.ast) && membersOf(issue).every(isWrongKind)
    default:
      return false
  }
}

const membersOf = (issue: ParseResult.Composite): ReadonlyArray<ParseResult.ParseIssue> =>
  Array.isArray(issue.issues)
    ? (issue.issues as ReadonlyArray<ParseResult.ParseIssue>)
    : [issue.issues as ParseResult.ParseIssue]

/** What a schema node expects, in words. */
const describe = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.length > 0
        ? `a map with the keys ${allowedKeys(ast).join(", ")}`
        : "a map"
    case "TupleType":
      return "a list"
    case "StringKeyword":
      return "a string"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "true or false"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union":
      return ast.types.map(describe).join(" or ")
    case "Refinement":
      return describe(ast.from)
    case "Transformation":
      return describe(ast.from)
    default:
      return String(ast)
  }
}

const allowedKeys = (struct: AST.TypeLiteral): string[] => struct.propertySignatures.map((p) => String(p.name))

const unknownKeyMessage = (key: string, struct: AST.TypeLiteral | undefined): string => {
  if (struct === undefined || struct.propertySignatures.length === 0) {
    const keyRule = struct?.indexSignatures[0]?.parameter
    const rule = keyRule ? Option.getOrUndefined(AST.getDescriptionAnnotation(keyRule)) : undefined
    return `invalid key ${JSON.stringify(key)}${rule ? `: expected ${rule}` : ""}`
  }
  const allowed = allowedKeys(struct)
  // Under hooks: every allowed key is a git hook name, and a list of 28 helps nobody.
  if (allowed.every(isGitHookName)) return unknownHookMessage(key)
  const close = closestName(key, allowed)
  return `unknown key ${JSON.stringify(key)}${close !== undefined ? ` (did you mean "${close}"?)` : ""}; allowed keys: ${allowed.join(", ")}`
}

/** Flattens a decode failure into one problem per offending path, with messages for people. */
export const issueProblems = (
  issue: ParseResult.ParseIssue,
  path: ConfigPath,
  struct: AST.TypeLiteral | undefined
): PathProblem[] => {
  switch (issue._tag) {
    case "Pointer": {
      const parts = Array.isArray(issue.path) ? issue.path : [issue.path]
      return issueProblems(issue.issue, [...path, ...parts.map((p) => (typeof p === "number" ? p : String(p)))], struct)
    }
    case "Composite": {
      const issues = membersOf(issue)
      if (AST.isUnion(issue.ast)) {
        // A union reports every member's failure; the useful one is a member the value has the
        // shape of (a string for a duration string, a list for a condition list).
        const informative = issues.find((member) => !isWrongKind(member))
        if (informative) return issueProblems(informative, path, struct)
        const message =
          annotatedMessage(issue.ast, issue) ??
          `expected ${describe(issue.ast)}, got ${show(issue.actual)}`
        return [{ path, message }]
      }
      const inner = AST.isTypeLiteral(issue.ast) ? issue.ast : struct
      return issues.flatMap((member) => issueProblems(member, path, inner))
    }
    case "Refinement":
      if (issue.kind === "From") return issueProblems(issue.issue, path, struct)
      return [{ path, message: annotatedMessage(issue.ast, issue) ?? ParseResult.TreeFormatter.formatIssueSync(issue.issue) }]
    case "Transformation":
      return issueProblems(issue.issue, path, struct)
    case "Unexpected":
      return [{ path, message: unknownKeyMessage(String(path[path.length - 1]), struct) }]
    default:
      return [{ path, message: leafMessage(issue, path) }]
  }
}

const leafMessage = (issue: ParseResult.ParseIssue, path: ConfigPath): string => {
  switch (issue._tag) {
    case "Missing":
      return `required key ${JSON.stringify(String(path[path.length - 1]))} is missing`
    case "Type":
      return annotatedMessage(issue.ast, issue) ?? issue.message ?? `expected ${describe(issue.ast)}, got ${show(issue.actual)}`
    case "Forbidden":
      return issue.message ?? "is forbidden"
    default:
      return ParseResult.TreeFormatter.formatIssueSync(issue)
  }
}
