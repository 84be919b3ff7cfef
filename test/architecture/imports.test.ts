// The folder graph of src/ (docs: TEAM.md / docs/architecture.md): no cycles between folders, and
// hookctl's folder (src/client/) depends on src/protocol/ and a short list of small effect-free helpers.
//
// Which imports count:
// - Cycles: every import, `import type` included. A type-only import loads nothing at run time, but it
//   is still a dependency of the design — a folder that needs another's types cannot be understood or
//   changed without it — so a cycle made only of types is still a cycle.
// - The client rule: `import type` is excluded, because it is erased (by tsc and esbuild) and so cannot
//   put `effect` or the supervisor into hookctl; value imports and dynamic imports count.
import { join } from "node:path"
import { build } from "esbuild"
import { beforeAll, describe, expect, it } from "vitest"
import {
  describeCycle,
  folderCycles,
  folderGraph,
  importEdges,
  parseImports,
  sourceFiles,
  tangledFolders,
  type Edge
} from "./import-graph"

const ROOT = join(__dirname, "..", "..")
const SRC = join(ROOT, "src")

/**
 * What src/client/ may load besides src/protocol/ and node builtins, each with the reason. Everything
 * here must stay effect-free (test/client/bundle.test.ts checks the built hookctl). (hook-config.ts loads
 * `yaml` through a variable, on purpose invisible to the bundler: only `hooks install` needs it.)
 */
const CLIENT_ALLOWED: Readonly<Record<string, string>> = {
  "src/config/file-names.ts": "the config file search order, shared with the supervisor's loader",
  "src/config/units.ts": "durations as people write them (--since 10m), shared with the config parser",
  "src/config/hook-names.ts": "git's hook names, did-you-mean and which hooks never block git, shared with the config schema",
  "package.json": "the version hookctl reports",
  // A dynamic import: only `hookctl service …` loads it, off every other command's path.
  "src/service/cli.ts": "`hookctl service` (install/status of the unit), loaded lazily"
}

/** The protocol modules that are the supervisor's alone; every other one must stay effect-free. */
const EFFECT_IN_PROTOCOL: ReadonlySet<string> = new Set(["src/protocol/schemas.ts", "src/protocol/codec.ts"])

describe("the import parser", () => {
  it.each([
    ['import { a, b } from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['import X from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['import * as X from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['import X, { a } from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['import {\n  a,\n  type B\n} from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['import "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['export { a } from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['export * from "./x"', { specifier: "./x", dynamic: false, typeOnly: false }],
    ['const m = await import("./x")', { specifier: "./x", dynamic: true, typeOnly: false }],
    ['import type { A } from "./x"', { specifier: "./x", dynamic: false, typeOnly: true }],
    ['import type * as T from "./x"', { specifier: "./x", dynamic: false, typeOnly: true }],
    ['import { type A, type B } from "./x"', { specifier: "./x", dynamic: false, typeOnly: true }],
    ['export type { A } from "./x"', { specifier: "./x", dynamic: false, typeOnly: true }],
    ['let y: typeof import("./x")', { specifier: "./x", dynamic: true, typeOnly: true }]
  ])("reads %j", (source, expected) => {
    expect(parseImports(source)).toEqual([expected])
  })

  it.each([
    '// import { a } from "./x"',
    '/* import { a } from "./x" */',
    '/**\n * import { a } from "./x"\n */',
    'export const a = "b"\nexport interface C {\n  d: string\n}',
    'const s = "import { a } from ./x"'
  ])("finds no import in %j", (source) => {
    expect(parseImports(source)).toEqual([])
  })

  it("misses none of the run-time imports esbuild sees in src/", async () => {
    // esbuild parses TypeScript for real: every value import it resolves must be in the parsed graph.
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: sourceFiles(SRC).filter((f) => f.endsWith(".ts")),
      bundle: true,
      write: false,
      outdir: join(ROOT, "dist", "architecture-check"),
      platform: "node",
      format: "esm",
      packages: "external",
      external: ["node-sqlite3-wasm"],
      logLevel: "error",
      metafile: true
    })
    const parsed = new Set(importEdges(ROOT, SRC).map((e) => `${e.from} → ${e.to}`))
    const seenByEsbuild = Object.entries(result.metafile.inputs).flatMap(([from, input]) =>
      from.startsWith("src/") ? input.imports.filter((i) => !i.external).map((i) => `${from} → ${i.path}`) : []
    )
    expect(seenByEsbuild.length).toBeGreaterThan(100)
    expect(seenByEsbuild.filter((edge) => !parsed.has(edge))).toEqual([])
  })
})

describe("the folder graph of src/", () => {
  let edges: ReadonlyArray<Edge>
  beforeAll(() => {
    edges = importEdges(ROOT, SRC)
  })

  it("is the real graph (the client depends on the protocol, the supervisor on the jobs)", () => {
    const graph = folderGraph(edges)
    expect(graph.get("client")?.has("protocol")).toBe(true)
    expect(graph.get("supervisor")?.has("jobs")).toBe(true)
  })

  it("has no cycle between folders", () => {
    const graph = folderGraph(edges)
    const tangles = tangledFolders(graph)
    const cycles = folderCycles(graph).map((cycle, i) => `${tangles[i].join(", ")} reach each other: ${describeCycle(graph, cycle)}`)
    expect(cycles).toEqual([])
  })

  it("lets src/client/ load only src/protocol/, node builtins and the allowed helpers", () => {
    const offenders = edges
      .filter((e) => e.from.startsWith("src/client/") && !e.typeOnly)
      .filter((e) => (e.external ? !e.to.startsWith("node:") : !e.to.startsWith("src/client/") && !e.to.startsWith("src/protocol/")))
      .filter((e) => !(e.to in CLIENT_ALLOWED))
      .map((e) => `${e.from} imports ${JSON.stringify(e.specifier)}`)
    expect(offenders).toEqual([])
  })

  it("keeps src/protocol/ at the bottom: it imports no other folder of src/", () => {
    const outward = edges.filter((e) => e.from.startsWith("src/protocol/") && !e.external && !e.to.startsWith("src/protocol/"))
    expect(outward.map((e) => `${e.from} imports ${JSON.stringify(e.specifier)}`)).toEqual([])
  })

  it("loads effect in src/protocol/ only from the schemas and their codec (the rest is shared with hookctl)", () => {
    // Directly, or through a value import of the schemas.
    const loadsEffect = edges.filter(
      (e) =>
        e.from.startsWith("src/protocol/") &&
        !e.typeOnly &&
        (e.external ? /^(effect|@effect\/)/.test(e.to) : EFFECT_IN_PROTOCOL.has(e.to))
    )
    expect(loadsEffect.length).toBeGreaterThan(0)
    expect(loadsEffect.filter((e) => !EFFECT_IN_PROTOCOL.has(e.from)).map((e) => `${e.from} imports ${e.to}`)).toEqual([])
  })

  it("has a use for every allowed client helper (a stale entry would hide a new one)", () => {
    const used = new Set(edges.filter((e) => e.from.startsWith("src/client/")).map((e) => e.to))
    expect(Object.keys(CLIENT_ALLOWED).filter((path) => !used.has(path))).toEqual([])
  })
})

describe("cycle detection", () => {
  const edge = (from: string, to: string): Edge => ({
    from: `src/${from}/a.ts`,
    to: `src/${to}/b.ts`,
    specifier: `../${to}/b`,
    dynamic: false,
    typeOnly: false,
    external: false
  })

  it.each([
    [[["a", "b"], ["b", "c"]], []],
    [[["a", "b"], ["b", "a"]], [["a", "b", "a"]]],
    [[["a", "b"], ["b", "c"], ["c", "a"], ["c", "d"]], [["a", "b", "c", "a"]]],
    [[["b", "c"], ["c", "b"], ["a", "b"]], [["b", "c", "b"]]],
    [[["a", "b"], ["b", "a"], ["b", "c"], ["c", "b"]], [["a", "b", "a"]]],
    [[["a", "b"], ["b", "a"], ["c", "d"], ["d", "e"], ["e", "c"]], [["a", "b", "a"], ["c", "d", "e", "c"]]],
    [[["a", "b"], ["b", "c"], ["c", "d"], ["d", "a"], ["c", "a"]], [["a", "b", "c", "a"]]]
  ])("finds in %j the shortest cycles %j", (pairs, expected) => {
    expect(folderCycles(folderGraph(pairs.map(([f, t]) => edge(f, t))))).toEqual(expected)
  })

  it("groups the folders that reach each other", () => {
    const pairs = [["a", "b"], ["b", "a"], ["b", "c"], ["c", "b"], ["d", "a"]]
    expect(tangledFolders(folderGraph(pairs.map(([f, t]) => edge(f, t))))).toEqual([["a", "b", "c"]])
  })

  it("names a file import for each step of a cycle", () => {
    const graph = folderGraph([edge("a", "b"), edge("b", "a")])
    expect(describeCycle(graph, ["a", "b", "a"])).toBe(
      'a → b (src/a/a.ts imports "../b/b"), b → a (src/b/a.ts imports "../a/b")'
    )
  })
})
