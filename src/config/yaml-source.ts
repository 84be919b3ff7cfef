// Turns the text of one YAML file into a plain value plus the line of every path in it, so a
// problem found later (by the schema, by the needs check) can name the file and line. Pure.
import { type Alias, Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Node } from "yaml"

export type ConfigPath = ReadonlyArray<string | number>

export interface SourceLocation {
  readonly file: string
  readonly line: number
}

interface LocationNode {
  location: SourceLocation | undefined
  readonly children: Map<string | number, LocationNode>
}

const emptyNode = (): LocationNode => ({ location: undefined, children: new Map() })

const copyNode = (node: LocationNode): LocationNode => {
  const out: LocationNode = { location: node.location, children: new Map() }
  for (const [key, child] of node.children) out.children.set(key, copyNode(child))
  return out
}

/**
 * Where each path came from: for a map entry the line of its key, for a list item its first line.
 * A tree keyed by path part (the number 0 and the key "0" are different parts), so a lookup costs
 * the path's depth and dropping or grafting a subtree costs that subtree's size, never the whole
 * config's (a merge of hookd-local.yml into a config of 10,000 jobs stays linear).
 */
export class Locations {
  private readonly root: LocationNode = emptyNode()

  private nodeAt(path: ConfigPath, create: boolean): LocationNode | undefined {
    let node = this.root
    for (const part of path) {
      let child = node.children.get(part)
      if (child === undefined) {
        if (!create) return undefined
        child = emptyNode()
        node.children.set(part, child)
      }
      node = child
    }
    return node
  }

  set(path: ConfigPath, location: SourceLocation): void {
    this.nodeAt(path, true)!.location = location
  }

  /** The location of `path`, or of its nearest ancestor that has one (a missing key has no line of its own). */
  find(path: ConfigPath): SourceLocation | undefined {
    let node: LocationNode | undefined = this.root
    let found = this.root.location
    for (const part of path) {
      node = node.children.get(part)
      if (node === undefined) break
      found = node.location ?? found
    }
    return found
  }

  /** Forgets `prefix` and everything below it. */
  dropSubtree(prefix: ConfigPath): void {
    if (prefix.length === 0) {
      this.root.location = undefined
      this.root.children.clear()
      return
    }
    this.nodeAt(prefix.slice(0, -1), false)?.children.delete(prefix[prefix.length - 1]!)
  }

  /** Copies `from`'s locations under `fromPrefix` to the same relative paths under `toPrefix`. */
  graftSubtree(from: Locations, fromPrefix: ConfigPath, toPrefix: ConfigPath): void {
    const source = from.nodeAt(fromPrefix, false)
    if (source === undefined) return
    const copied = copyNode(source)
    if (toPrefix.length === 0) {
      this.root.location = copied.location
      this.root.children.clear()
      for (const [key, child] of copied.children) this.root.children.set(key, child)
      return
    }
    this.nodeAt(toPrefix.slice(0, -1), true)!.children.set(toPrefix[toPrefix.length - 1]!, copied)
  }

  /** A Locations that went through structured clone (a worker's postMessage): the same tree, made a Locations again. */
  static fromClone(cloned: Locations): Locations {
    const out = new Locations()
    const root = (cloned as unknown as { root: LocationNode }).root
    out.root.location = root.location
    for (const [key, child] of root.children) out.root.children.set(key, child)
    return out
  }

  copy(): Locations {
    const out = new Locations()
    out.root.location = this.root.location
    for (const [key, child] of this.root.children) out.root.children.set(key, copyNode(child))
    return out
  }
}

export interface ParsedYaml {
  readonly value: unknown
  readonly locations: Locations
}

export interface YamlProblem {
  readonly file: string
  readonly line: number
  readonly path: ConfigPath
  readonly message: string
}

export type ParseYamlResult =
  | { readonly _tag: "Parsed"; readonly parsed: ParsedYaml }
  | { readonly _tag: "Problem"; readonly problem: YamlProblem }

/** The fix for the YAML mistakes people make most in hookd.yml, where one fits. */
export const syntaxErrorHint = (code: string, message: string, line: number): string | undefined => {
  // `run: echo "error: x"` unquoted: the second ": " makes YAML read a nested mapping.
  if (code === "BLOCK_AS_IMPLICIT_KEY") return `quote values that contain ": " (run: 'echo "error: x"')`
  if (code === "BAD_INDENT" && !message.startsWith("Flow")) return `check the indentation of line ${line}`
  if (code === "TAB_AS_INDENT") return `indent line ${line} with spaces, not tabs`
  return undefined
}

const syntaxErrorMessage = (error: { code: string; message: string }, line: number): string => {
  const hint = syntaxErrorHint(error.code, error.message, line)
  return `YAML syntax error: ${error.message}${hint === undefined ? "" : ` — ${hint}`}`
}

/** Parses `text` (the contents of `file`). An empty file or one holding only comments is `{}`. */
export const parseYaml = (file: string, text: string): ParseYamlResult => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line
  const syntaxError = doc.errors[0]
  if (syntaxError) {
    return {
      _tag: "Problem",
      problem: { file, line: lineAt(syntaxError.pos[0]), path: [], message: syntaxErrorMessage(syntaxError, lineAt(syntaxError.pos[0])) }
    }
  }
  const locations = new Locations()
  locations.set([], { file, line: doc.contents?.range ? lineAt(doc.contents.range[0]) : 1 })
  try {
    const ctx: WalkContext = { file, lineAt, locations, anchorTargets: anchorTargets(doc), resolving: new Set(), aliasBudget: { remaining: MAX_ALIAS_EXPANDED_NODES, outermostAliasLine: 1 } }
    const value = doc.contents === null ? {} : toPlain(doc, doc.contents, [], ctx)
    return { _tag: "Parsed", parsed: { value: value ?? {}, locations } }
  } catch (error) {
    if (error instanceof NodeProblem) return { _tag: "Problem", problem: error.problem }
    throw error
  }
}

class NodeProblem extends Error {
  constructor(readonly problem: YamlProblem) {
    super(problem.message)
  }
}

interface WalkContext {
  readonly file: string
  readonly lineAt: (offset: number) => number
  readonly locations: Locations
  readonly anchorTargets: ReadonlyMap<Alias, Node>
  /** Aliases being expanded, to refuse an alias that contains itself. */
  readonly resolving: Set<Node>
  /** Nodes that alias expansion may still produce (shared across the whole document). */
  readonly aliasBudget: { remaining: number; outermostAliasLine: number }
}

/**
 * Aliases are expanded into copies, so nested aliases multiply: ten lines of `[*a, *a, …]` make
 * 10^10 values and would exhaust the supervisor's memory (the "billion laughs"). Real configs
 * reuse a few small blocks, far below this.
 */
export const MAX_ALIAS_EXPANDED_NODES = 100_000

/**
 * Each alias's node: the last node before it with that anchor, found in one pass over the document
 * (`Alias.resolve(doc)` walks the whole document on every call: quadratic in a big file).
 */
const anchorTargets = (doc: Document): ReadonlyMap<Alias, Node> => {
  const targets = new Map<Alias, Node>()
  const anchored = new Map<string, Node>()
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        const target = anchored.get(node.source)
        if (target !== undefined) targets.set(node, target)
      } else if (node.anchor !== undefined) anchored.set(node.anchor, node)
    }
  })
  return targets
}

const lineOf = (node: unknown, ctx: WalkContext): number | undefined => {
  const range = (node as { range?: readonly number[] | null } | null)?.range
  return range ? ctx.lineAt(range[0]) : undefined
}

const defineEntry = (target: Record<string, unknown>, key: string, value: unknown): void => {
  // defineProperty, so a key named "__proto__" is data, not a prototype change.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

const toPlain = (doc: Document, node: unknown, path: ConfigPath, ctx: WalkContext): unknown => {
  if (node === null || node === undefined) return null
  if (ctx.resolving.size > 0 && --ctx.aliasBudget.remaining < 0) {
    throw new NodeProblem({
      file: ctx.file,
      line: ctx.aliasBudget.outermostAliasLine,
      path,
      message: `aliases expand to more than ${MAX_ALIAS_EXPANDED_NODES} values; write the repeated parts out or use fewer aliases`
    })
  }
  if (isAlias(node)) {
    const target = ctx.anchorTargets.get(node)
    if (!target || ctx.resolving.has(target)) {
      throw new NodeProblem({ file: ctx.file, line: lineOf(node, ctx) ?? 1, path, message: `alias *${node.source} cannot be resolved` })
    }
    if (ctx.resolving.size === 0) ctx.aliasBudget.outermostAliasLine = lineOf(node, ctx) ?? 1
    ctx.resolving.add(target)
    try {
      return toPlain(doc, target, path, ctx)
    } finally {
      ctx.resolving.delete(target)
    }
  }
  if (isScalar(node)) return node.value
  if (isMap(node)) {
    const out: Record<string, unknown> = {}
    for (const pair of node.items) {
      const keyNode = pair.key
      const keyLine = lineOf(keyNode, ctx) ?? lineOf(pair.value, ctx) ?? lineOf(node, ctx) ?? 1
      if (!isScalar(keyNode) || (typeof keyNode.value !== "string" && typeof keyNode.value !== "number")) {
        throw new NodeProblem({ file: ctx.file, line: keyLine, path, message: "map keys must be plain strings" })
      }
      const key = String(keyNode.value)
      const childPath = [...path, key]
      ctx.locations.set(childPath, { file: ctx.file, line: keyLine })
      defineEntry(out, key, toPlain(doc, pair.value, childPath, ctx))
    }
    return out
  }
  if (isSeq(node)) {
    return node.items.map((item, index) => {
      const childPath = [...path, index]
      ctx.locations.set(childPath, { file: ctx.file, line: lineOf(item, ctx) ?? lineOf(node, ctx) ?? 1 })
      return toPlain(doc, item, childPath, ctx)
    })
  }
  throw new NodeProblem({ file: ctx.file, line: lineOf(node, ctx) ?? 1, path, message: "unsupported YAML node" })
}

/** `hooks.pre-commit.jobs[1].timeout`; keys that are not plain words are quoted: `env["a.b"]`. */
export const formatPath = (path: ConfigPath): string => {
  if (path.length === 0) return "(root)"
  let out = ""
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`
    else if (/^[A-Za-z0-9_-]+$/.test(part)) out += out === "" ? part : `.${part}`
    else out += `[${JSON.stringify(part)}]`
  }
  return out
}
