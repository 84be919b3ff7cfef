// Parses a config file's YAML off the supervisor's event loop when it is big enough to matter
// (issue 14 item 8: ~1.8 s of CPU at the 1 MiB cap, during which no other client was answered).
// Small files — every real config — are parsed inline: starting a worker costs more than they do.
import { Context, Effect } from "effect"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import { Locations, parseYaml, type ParseYamlResult } from "./yaml-source"

/** From this size on (about 3 ms of parsing) a file is parsed in a worker thread. */
export const OFF_THREAD_BYTES = 64 * 1024

/**
 * The worker's program, beside the supervisor's bundle (dist/yaml-worker.mjs). Absent when the
 * sources run unbundled (in-process tests): the parse then runs inline, as before.
 */
const workerScript = (): string | undefined => {
  try {
    const path = fileURLToPath(new URL("./yaml-worker.mjs", import.meta.url))
    return existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

export interface ConfigParseEvents {
  /** A parse is about to start, inline or in a worker (the supervisor logs it). */
  readonly parsing: (fields: { readonly file: string; readonly bytes: number; readonly thread: "inline" | "worker" }) => Effect.Effect<void>
}

/** Where the supervisor hears about parses; by default nobody does. */
export class ConfigParse extends Context.Reference<ConfigParse>()("hookd/ConfigParse", {
  defaultValue: (): ConfigParseEvents => ({ parsing: () => Effect.void })
}) {}

/** Structured clone keeps data, not classes: the locations come back as a plain tree. */
const revive = (result: ParseYamlResult): ParseYamlResult =>
  result._tag === "Parsed" ? { _tag: "Parsed", parsed: { value: result.parsed.value, locations: Locations.fromClone(result.parsed.locations) } } : result

export const parseInWorker = (script: string, file: string, text: string): Effect.Effect<ParseYamlResult, Error> =>
  Effect.async<ParseYamlResult, Error>((resume) => {
    const worker = new Worker(script, { workerData: { file, text } })
    let settled = false
    const settle = (effect: Effect.Effect<ParseYamlResult, Error>) => {
      if (settled) return
      settled = true
      void worker.terminate()
      resume(effect)
    }
    worker.once("message", (result: ParseYamlResult) => settle(Effect.succeed(revive(result))))
    worker.once("error", (error) => settle(Effect.fail(error)))
    worker.once("exit", (code) => settle(Effect.fail(new Error(`the parse worker exited (${code}) without a result`))))
    // A request that goes away (the hook was interrupted) stops its parse.
    return Effect.sync(() => {
      settled = true
      void worker.terminate()
    })
  })

/**
 * The parse of `text` (the contents of `file`): in a worker thread from OFF_THREAD_BYTES on, inline
 * below that, or when no worker can run it (a worker that fails — it ran out of memory, its script
 * is missing — leaves the parse to this thread rather than failing the hook).
 */
export const parseYamlOffThread = (file: string, text: string): Effect.Effect<ParseYamlResult> =>
  Effect.gen(function* () {
    const events = yield* ConfigParse
    const script = text.length >= OFF_THREAD_BYTES ? workerScript() : undefined
    yield* events.parsing({ file, bytes: Buffer.byteLength(text), thread: script !== undefined ? "worker" : "inline" })
    if (script === undefined) return parseYaml(file, text)
    return yield* parseInWorker(script, file, text).pipe(Effect.orElse(() => Effect.sync(() => parseYaml(file, text))))
  })
