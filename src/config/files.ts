// Finding, reading and validating a worktree's hookd.yml (+ hookd-local.yml beside it).
import { readFile, stat } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { Effect, Either } from "effect"
import { ConfigInvalid } from "./errors"
import { CONFIG_FILE_NAMES, LOCAL_CONFIG_FILE_NAME } from "./file-names"
import { mergeLocal } from "./merge"
import type { HookdConfig } from "./schema"
import { validateConfig } from "./validate"
import { parseYamlOffThread } from "./parse-off-thread"
import { formatPath, type ConfigPath, type Locations, type ParsedYaml } from "./yaml-source"

const isFile = (path: string): Effect.Effect<boolean> =>
  Effect.promise(() =>
    stat(path).then(
      (s) => s.isFile(),
      () => false
    )
  )

/** Absolute path of the config file of `worktree`, or undefined when it has none. */
export const findConfigFile = (worktree: string): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = resolve(worktree, name)
      if (yield* isFile(candidate)) return candidate
    }
    return undefined
  })

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/** The text of a UTF-8 file, or the 1-based line of its first invalid byte (a Latin-1 "é" would silently become "\uFFFD"). */
const decodeUtf8 = (bytes: Buffer): { readonly text: string } | { readonly badLine: number } => {
  try {
    return { text: strictUtf8.decode(bytes) }
  } catch {
    const lossy = bytes.toString("utf8")
    const at = lossy.indexOf("\uFFFD")
    return { badLine: lossy.slice(0, Math.max(0, at)).split("\n").length }
  }
}

/**
 * Caps on what one config may hold. A big file is parsed in a worker thread, but merging and
 * validating run on the supervisor's thread (between yields), so a config far beyond any real one
 * (a generated file, a mistake) gets a clear error instead. 1 MiB holds about 20,000 short jobs; 10,000 jobs is far
 * more than one hook can sensibly run.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024
export const MAX_CONFIG_JOBS = 10_000

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`

const tooBig = (file: string, bytes: number): ConfigInvalid =>
  new ConfigInvalid({
    file,
    line: undefined,
    path: "(root)",
    message: `the file is ${mib(bytes)}; hookd reads config files of at most ${mib(MAX_CONFIG_BYTES)} (${MAX_CONFIG_BYTES} bytes): remove jobs or move long scripts into files the jobs run`
  })

/**
 * Lets the event loop serve other clients (Status, tails) between the synchronous steps of loading
 * a config: setImmediate runs after pending I/O, unlike a microtask yield.
 */
const letOthersRun: Effect.Effect<void> = Effect.async<void>((resume) => {
  const timer = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(timer))
})

const readCapped = (file: string): Effect.Effect<Buffer, ConfigInvalid> =>
  Effect.tryPromise({
    try: async () => {
      // The size first, so a huge file is refused without reading it into memory.
      const { size } = await stat(file)
      if (size > MAX_CONFIG_BYTES) return size
      return readFile(file)
    },
    catch: (error) =>
      new ConfigInvalid({ file, line: undefined, path: "(root)", message: `cannot read the file: ${(error as Error).message}` })
  }).pipe(
    Effect.flatMap((read) => {
      const size = typeof read === "number" ? read : read.length
      // Checked again after reading: the file may have grown in between.
      return size > MAX_CONFIG_BYTES || typeof read === "number" ? Effect.fail(tooBig(file, size)) : Effect.succeed(read)
    })
  )

let fileReads = 0

/** For tests: how many config files were read and parsed so far (the cache's hits read none). */
export const configFileReads = (): number => fileReads

const readAndParse = (file: string): Effect.Effect<ParsedYaml, ConfigInvalid> =>
  Effect.sync(() => void fileReads++).pipe(
    Effect.zipRight(readCapped(file)),
    Effect.tap(() => letOthersRun),
    Effect.flatMap((bytes) => {
      const decoded = decodeUtf8(bytes)
      return "text" in decoded
        ? Effect.succeed(decoded.text)
        : Effect.fail(new ConfigInvalid({ file, line: decoded.badLine, path: "(root)", message: "the file is not valid UTF-8" }))
    }),
    Effect.flatMap((text) => parseYamlOffThread(file, text)),
    Effect.flatMap((result) => {
      if (result._tag === "Parsed") return Effect.succeed(result.parsed)
      const { problem } = result
      return Effect.fail(new ConfigInvalid({ file: problem.file, line: problem.line, path: "(root)", message: problem.message }))
    }),
    Effect.tap(() => letOthersRun)
  )

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The first job beyond MAX_CONFIG_JOBS (counting the jobs of every hook), if there is one, and the total. */
export const jobsBeyondCap = (value: unknown): { readonly total: number; readonly first: ConfigPath } | undefined => {
  const hooks = isRecord(value) ? value.hooks : undefined
  if (!isRecord(hooks)) return undefined
  let total = 0
  let first: ConfigPath | undefined
  for (const [hook, config] of Object.entries(hooks)) {
    const jobs = isRecord(config) ? config.jobs : undefined
    if (!Array.isArray(jobs)) continue
    if (first === undefined && total + jobs.length > MAX_CONFIG_JOBS) first = ["hooks", hook, "jobs", MAX_CONFIG_JOBS - total]
    total += jobs.length
  }
  return first === undefined ? undefined : { total, first }
}

const tooManyJobs = (merged: ParsedYaml, files: ReadonlyArray<string>): ConfigInvalid | undefined => {
  const beyond = jobsBeyondCap(merged.value)
  if (beyond === undefined) return undefined
  const location = merged.locations.find(beyond.first)
  return new ConfigInvalid({
    file: location?.file ?? files[0] ?? "",
    line: location?.line,
    path: formatPath(beyond.first),
    message: `too many jobs: the config has ${beyond.total} (all hooks together); hookd runs at most ${MAX_CONFIG_JOBS} from one config`
  })
}

export interface LoadedConfig {
  readonly source: string
  /** The files read, in merge order: the config, then hookd-local.yml when present. */
  readonly files: ReadonlyArray<string>
  readonly config: HookdConfig
  /** Where each path of the merged config came from, for problems found after validation. */
  readonly locations: Locations
}

/** Reads, merges and validates the config of `worktree`; undefined when there is no config file. */
export const loadConfig = (worktree: string): Effect.Effect<LoadedConfig | undefined, ConfigInvalid> =>
  Effect.gen(function* () {
    const source = yield* findConfigFile(worktree)
    if (source === undefined) return undefined
    const base = yield* readAndParse(source)
    const localFile = join(dirname(source), LOCAL_CONFIG_FILE_NAME)
    const hasLocal = yield* isFile(localFile)
    const merged = hasLocal ? mergeLocal(base, yield* readAndParse(localFile)) : base
    const files = hasLocal ? [source, localFile] : [source]
    const overCap = tooManyJobs(merged, files)
    if (overCap !== undefined) return yield* overCap
    yield* letOthersRun
    const config = validateConfig(merged.value, merged.locations, files)
    if (Either.isLeft(config)) return yield* Effect.fail(config.left)
    return { source, files, config: config.right, locations: merged.locations }
  })
