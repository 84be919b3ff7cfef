// Writes the JSON Schema files under schema/ from the effect/Schema definitions (`npm run schema`, which
// bundles this file to dist/gen-schema.mjs and runs it). test/protocol/json-schema.test.ts fails when the
// checked-in files drift from renderSchemaFiles(). `--check` only compares and exits 1 on drift.
import { existsSync, readFileSync, realpathSync, writeFileSync, mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import { HookdConfigSchema } from "../config/schema"
import { JobInfo, JobSpec, LogRecord, RequestEnvelope, ResponseEnvelope } from "../protocol/schemas"

/** One generated file. Add an entry to SCHEMA_DOCUMENTS to generate another (e.g. schema/config.json). */
export interface SchemaDocument {
  /** Path relative to the repo root. */
  readonly file: string
  readonly title: string
  readonly description: string
  /** The document's own schema; give it an identifier to have it land in $defs and be referenced. */
  readonly root: Schema.Schema.Any
  /** Schemas (with identifiers) that must appear in $defs even if nothing references them. */
  readonly defs?: ReadonlyArray<Schema.Schema.Any>
  /** Unknown keys: the protocol ignores them ("allow"); the config rejects them ("strict"). */
  readonly additionalProperties: "allow" | "strict"
}

export const SCHEMA_DOCUMENTS: ReadonlyArray<SchemaDocument> = [
  {
    file: "schema/protocol.json",
    title: "hookd wire protocol v1",
    description:
      "Every message is a frame: a 4-byte unsigned big-endian length N (at most 8 MiB), then N bytes of UTF-8 " +
      "JSON holding one Request (client to hookd) or Response (hookd to client). Unknown fields are ignored.",
    root: Schema.Union(RequestEnvelope, ResponseEnvelope),
    defs: [JobSpec, JobInfo, LogRecord],
    additionalProperties: "allow"
  },
  {
    file: "schema/config.json",
    title: "hookd.yml",
    description:
      "The hook configuration, searched in the worktree root as hookd.yml, hookd.yaml, .hookd.yml, .hookd.yaml or " +
      ".config/hookd.yml, with hookd-local.yml beside it merged on top. Unknown keys are errors.",
    root: HookdConfigSchema,
    additionalProperties: "strict"
  }
]

// Draft 2020-12, where $defs is the standard home of definitions.
const TARGET = "jsonSchema2020-12"

const sortKeys = <V>(record: Record<string, V>): Record<string, V> =>
  Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]))

/** Renders one document: the root schema inline, every identified schema under $defs (sorted by name). */
export const renderSchemaDocument = (doc: SchemaDocument): unknown => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  // The JSON Schema must say what the decoder does with unknown fields (SchemaDocument.additionalProperties).
  const options = { definitions, target: TARGET, additionalPropertiesStrategy: doc.additionalProperties } as const
  const root = JSONSchema.fromAST(doc.root.ast, options)
  for (const extra of doc.defs ?? []) JSONSchema.fromAST(extra.ast, options)
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: doc.title,
    description: doc.description,
    ...root,
    $defs: sortKeys(definitions)
  }
}

/** Every generated file: path relative to the repo root and its exact text (pretty JSON, trailing newline). */
export const renderSchemaFiles = (): Array<{ file: string; json: string }> =>
  SCHEMA_DOCUMENTS.map((doc) => ({ file: doc.file, json: `${JSON.stringify(renderSchemaDocument(doc), null, 2)}\n` }))

/**
 * The repo root: the nearest ancestor of this module holding hookd's package.json. Works for the bundle
 * (dist/gen-schema.mjs) and for the source file alike, whatever the current directory is.
 */
export const findRepoRoot = (from: string = dirname(fileURLToPath(import.meta.url))): string => {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json")
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "hookd") {
      return dir
    }
    if (dirname(dir) === dir) throw new Error(`no hookd package.json above ${from}`)
  }
}

const main = (args: ReadonlyArray<string>): number => {
  const root = findRepoRoot()
  const checkOnly = args.includes("--check")
  let drifted = 0
  for (const { file, json } of renderSchemaFiles()) {
    const path = join(root, file)
    const current = existsSync(path) ? readFileSync(path, "utf8") : undefined
    if (current === json) {
      console.log(`${file}: up to date`)
    } else if (checkOnly) {
      console.error(`${file}: out of date (run \`npm run schema\`)`)
      drifted++
    } else {
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, json)
      console.log(`${file}: written`)
    }
  }
  return drifted === 0 ? 0 : 1
}

const isEntryPoint = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntryPoint()) process.exitCode = main(process.argv.slice(2))
