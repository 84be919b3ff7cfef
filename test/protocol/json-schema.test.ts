import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { findRepoRoot, renderSchemaFiles } from "../../src/tools/generate-json-schema"
import { REQUEST_NAMES } from "../../src/protocol/types"
import { RESPONSE_KINDS } from "../../src/protocol/schemas"

const root = findRepoRoot()
const files = renderSchemaFiles()
const protocol = JSON.parse(files.find((f) => f.file === "schema/protocol.json")!.json)

/** Every value of `key` anywhere inside a JSON document. */
const valuesOf = (node: unknown, key: string): Array<unknown> =>
  Array.isArray(node)
    ? node.flatMap((n) => valuesOf(n, key))
    : typeof node === "object" && node !== null
      ? Object.entries(node).flatMap(([k, v]) => (k === key ? [v] : []).concat(valuesOf(v, key)))
      : []

describe("generated JSON Schema files", () => {
  it("finds the repo root from the module's location", () => {
    expect(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).name).toBe("hookd")
  })

  it.each(files.map((f) => [f.file, f.json] as const))("%s is up to date with the effect schemas", (file, json) => {
    const onDisk = readFileSync(join(root, file), "utf8")
    expect(onDisk, `${file} is out of date with src/protocol/schemas.ts: run \`npm run schema\` and commit it`).toBe(json)
  })

  it("defines the envelopes, every payload, JobInfo, LogRecord and JobSpec", () => {
    const defs = Object.keys(protocol.$defs)
    const expected = [
      "Request",
      "Response",
      "JobInfo",
      "LogRecord",
      "JobSpec",
      "JobAddress",
      ...REQUEST_NAMES.map((n) => `${n}Payload`),
      ...RESPONSE_KINDS.map((k) => `${k}Payload`)
    ]
    expect(defs).toEqual(expect.arrayContaining(expected))
  })

  it("never forbids unknown properties, since decoding ignores them", () => {
    expect(valuesOf(protocol, "additionalProperties")).not.toContain(false)
  })

  it("resolves every $ref to a definition", () => {
    const refs = valuesOf(protocol, "$ref") as Array<string>
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) expect(protocol.$defs).toHaveProperty([ref.replace("#/$defs/", "")])
  })

  it("ends every file with a newline", () => {
    for (const { json } of files) expect(json.endsWith("}\n")).toBe(true)
  })
})
