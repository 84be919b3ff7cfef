// Reads every import of the TypeScript sources under src/ and folds them into a folder-level graph
// (src/jobs/runner.ts → "jobs"). Plain text parsing: the codebase's imports are ordinary ES module
// statements, and the parser's own table-driven tests (imports.test.ts) pin what it recognises.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"

export interface ImportRef {
  readonly specifier: string
  readonly dynamic: boolean
  /**
   * `import type …`, `export type … from`, `import { type A, type B } from` and `typeof import("…")`:
   * erased by TypeScript and esbuild, so the module is never loaded at run time.
   */
  readonly typeOnly: boolean
}

// An import clause: `X`, `* as X`, `{ … }`, or a default followed by one of the others. Anchored at a
// line start and with no quotes inside, it cannot run across a neighbouring statement.
const CLAUSE = String.raw`(?:[\w$]+\s*,\s*)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^{}]*\}|[\w$]+)`
const STATIC = new RegExp(String.raw`^[ \t]*(import|export)\s+(type\s+)?(${CLAUSE})\s*from\s*(["'])([^"'\n]+)\4`, "gm")
const SIDE_EFFECT = /^[ \t]*import\s*(["'])([^"'\n]+)\1/gm
const DYNAMIC = /(typeof\s+)?\bimport\(\s*(["'])([^"'\n]+)\2\s*\)/g

/** Drops comments (which may quote an import) while keeping line starts where they were. */
const withoutComments = (source: string): string =>
  source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " ")).replace(/^[ \t]*\/\/.*$/gm, "")

const everyNameIsType = (clause: string): boolean => {
  const braces = /^\{([^{}]*)\}$/.exec(clause.trim())
  if (!braces) return false
  const names = braces[1].split(",").map((n) => n.trim()).filter((n) => n !== "")
  return names.length > 0 && names.every((n) => n.startsWith("type "))
}

export const parseImports = (source: string): ReadonlyArray<ImportRef> => {
  const text = withoutComments(source)
  const found: ImportRef[] = []
  for (const m of text.matchAll(STATIC)) {
    found.push({ specifier: m[5], dynamic: false, typeOnly: m[2] !== undefined || everyNameIsType(m[3]) })
  }
  for (const m of text.matchAll(SIDE_EFFECT)) found.push({ specifier: m[2], dynamic: false, typeOnly: false })
  for (const m of text.matchAll(DYNAMIC)) found.push({ specifier: m[3], dynamic: true, typeOnly: m[1] !== undefined })
  return found
}

const EXTENSIONS = ["", ".ts", ".mjs", ".js", ".json", "/index.ts"]

/** The file a relative specifier names (as esbuild resolves it), or undefined for a package or builtin. */
export const resolveRelative = (fromFile: string, specifier: string): string | undefined => {
  if (!specifier.startsWith(".")) return undefined
  const base = resolve(dirname(fromFile), specifier)
  for (const ext of EXTENSIONS) {
    const candidate = base + ext
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  throw new Error(`${fromFile}: cannot resolve import ${JSON.stringify(specifier)}`)
}

export const sourceFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : []
  })

export interface Edge {
  /** Paths relative to the repository root, with "/" separators. */
  readonly from: string
  readonly to: string
  readonly specifier: string
  readonly dynamic: boolean
  readonly typeOnly: boolean
  /** True when `to` is a package or builtin (`to` is then the specifier). */
  readonly external: boolean
}

/** Every import of every source file under `srcDir`, resolved. */
export const importEdges = (root: string, srcDir: string): ReadonlyArray<Edge> => {
  const rel = (path: string) => relative(root, path).split(sep).join("/")
  return sourceFiles(srcDir).flatMap((file) =>
    parseImports(readFileSync(file, "utf8")).map((ref) => {
      const target = resolveRelative(file, ref.specifier)
      return {
        from: rel(file),
        to: target === undefined ? ref.specifier : rel(target),
        specifier: ref.specifier,
        dynamic: ref.dynamic,
        typeOnly: ref.typeOnly,
        external: target === undefined
      }
    })
  )
}

/** "src/jobs/runner.ts" → "jobs"; undefined for anything outside src/ or directly in it. */
export const folderOf = (path: string): string | undefined => {
  const m = /^src\/([^/]+)\//.exec(path)
  return m ? m[1] : undefined
}

/** Folder → folder → one file-level edge that makes the dependency (for the message). */
export type FolderGraph = ReadonlyMap<string, ReadonlyMap<string, Edge>>

export const folderGraph = (edges: ReadonlyArray<Edge>): FolderGraph => {
  const graph = new Map<string, Map<string, Edge>>()
  for (const edge of edges) {
    const from = folderOf(edge.from)
    const to = edge.external ? undefined : folderOf(edge.to)
    if (from === undefined || to === undefined || from === to) continue
    const out = graph.get(from) ?? new Map<string, Edge>()
    if (!out.has(to)) out.set(to, edge)
    graph.set(from, out)
  }
  return graph
}

const successors = (graph: FolderGraph, folder: string): ReadonlyArray<string> => [...(graph.get(folder)?.keys() ?? [])].sort()

/** The folders that reach each other (strongly connected components of more than one folder; Tarjan). */
export const tangledFolders = (graph: FolderGraph): ReadonlyArray<ReadonlyArray<string>> => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const components: string[][] = []
  const visit = (folder: string) => {
    index.set(folder, index.size)
    low.set(folder, index.get(folder)!)
    stack.push(folder)
    for (const next of successors(graph, folder)) {
      if (!index.has(next)) {
        visit(next)
        low.set(folder, Math.min(low.get(folder)!, low.get(next)!))
      } else if (stack.includes(next)) {
        low.set(folder, Math.min(low.get(folder)!, index.get(next)!))
      }
    }
    if (low.get(folder) !== index.get(folder)) return
    const component: string[] = []
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      component.push(member)
      if (member === folder) break
    }
    if (component.length > 1) components.push(component.sort())
  }
  for (const folder of [...graph.keys()].sort()) if (!index.has(folder)) visit(folder)
  return components.sort((a, b) => a[0].localeCompare(b[0]))
}

/**
 * One shortest cycle per tangle, from its first folder back to it (first folder repeated at the end):
 * the smallest change to look at. Removing it may reveal another cycle in the same tangle.
 */
export const folderCycles = (graph: FolderGraph): ReadonlyArray<ReadonlyArray<string>> =>
  tangledFolders(graph).map((component) => {
    const start = component[0]
    const cameFrom = new Map<string, string>()
    const queue = [start]
    for (let i = 0; i < queue.length; i++) {
      for (const next of successors(graph, queue[i])) {
        if (!component.includes(next) || cameFrom.has(next)) continue
        cameFrom.set(next, queue[i])
        if (next === start) {
          const cycle = [start]
          for (let f = cameFrom.get(start)!; f !== start; f = cameFrom.get(f)!) cycle.unshift(f)
          return [start, ...cycle]
        }
        queue.push(next)
      }
    }
    throw new Error(`no cycle through ${start} in ${component.join(", ")}`)
  })

/** "a → b (src/a/x.ts imports ../b/y), b → a (…)" */
export const describeCycle = (graph: FolderGraph, cycle: ReadonlyArray<string>): string =>
  cycle
    .slice(0, -1)
    .map((from, i) => {
      const to = cycle[i + 1]
      const edge = graph.get(from)?.get(to)
      return `${from} → ${to} (${edge?.from} imports ${JSON.stringify(edge?.specifier)})`
    })
    .join(", ")
