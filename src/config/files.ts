// Finding, reading and validating a worktree's hookd.yml (+ hookd-local.yml beside it).
import { readFile, stat } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { Effect, Either } from "effect"
import { ConfigInvalid } from "./errors"
import { CONFIG_FILE_NAMES, LOCAL_CONFIG_FILE_NAME } from "./file-names"
import { mergeLocal } from "./merge"
import type { HookdConfig } from "./schema"
import { validateConfig } from "./validate"
import { parseYaml, type Locations, type ParsedYaml } from "./yaml-source"

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

const readAndParse = (file: string): Effect.Effect<ParsedYaml, ConfigInvalid> =>
  Effect.tryPromise({
    try: () => readFile(file),
    catch: (error) =>
      new ConfigInvalid({ file, line: undefined, path: "(root)", message: `cannot read the file: ${(error as Error).message}` })
  }).pipe(
    Effect.flatMap((bytes) => {
      const decoded = decodeUtf8(bytes)
      return "text" in decoded
        ? Effect.succeed(decoded.text)
        : Effect.fail(new ConfigInvalid({ file, line: decoded.badLine, path: "(root)", message: "the file is not valid UTF-8" }))
    }),
    Effect.flatMap((text) => {
      const result = parseYaml(file, text)
      if (result._tag === "Parsed") return Effect.succeed(result.parsed)
      const { problem } = result
      return Effect.fail(new ConfigInvalid({ file: problem.file, line: problem.line, path: "(root)", message: problem.message }))
    })
  )

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
    const config = validateConfig(merged.value, merged.locations, files)
    if (Either.isLeft(config)) return yield* Effect.fail(config.left)
    return { source, files, config: config.right, locations: merged.locations }
  })
