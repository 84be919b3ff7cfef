// Reads hookd.yml on the client — only where the supervisor cannot help: `hooks install` (which
// hooks need shims) and `run-hook` when the supervisor is unreachable (must git wait?).
// `yaml` is imported lazily so no other command pays for parsing it.
import { CONFIG_FILE_NAMES, LOCAL_CONFIG_FILE_NAME } from "../config/file-names"
import { nodeChildProcess } from "../protocol/builtins"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { loadYaml } from "./yaml-module"

/** The worktree's config file (SPEC §8 search order), if any. */
export const findConfigFile = (worktree: string): string | undefined =>
  CONFIG_FILE_NAMES.map((name) => join(worktree, name)).find((path) => existsSync(path))

type Loose = Record<string, unknown>
const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v)

export class ConfigReadError extends Error {}

const parseYamlFile = async (path: string): Promise<unknown> => {
  const { parse } = loadYaml()
  try {
    return parse(readFileSync(path, "utf8"))
  } catch (e) {
    throw new ConfigReadError(`${path}: ${(e as Error).message.split("\n")[0]}`)
  }
}

/** The config document(s): the main file, then hookd-local.yml beside it when present. */
export const loadDocuments = async (file: string): Promise<unknown[]> => {
  const local = join(dirname(file), LOCAL_CONFIG_FILE_NAME)
  return existsSync(local) ? [await parseYamlFile(file), await parseYamlFile(local)] : [await parseYamlFile(file)]
}

const hooksOf = (doc: unknown, file: string): Loose => {
  if (doc === null || doc === undefined) return {}
  if (!isObject(doc)) throw new ConfigReadError(`${file}: the document is not a mapping`)
  const hooks = doc.hooks ?? {}
  if (!isObject(hooks)) throw new ConfigReadError(`${file}: hooks: expected a mapping of hook names`)
  return hooks
}

/** The names of the hooks the config (plus hookd-local.yml) defines. */
export const configuredHookNames = async (file: string): Promise<string[]> => {
  const names = new Set<string>()
  for (const doc of await loadDocuments(file)) for (const name of Object.keys(hooksOf(doc, file))) names.add(name)
  return [...names]
}

/**
 * Pure decision: does `hook` have a job git must wait for? A job is foreground when its own
 * `background` (else the hook's, else false) is false. Anything unreadable counts as foreground:
 * failing safe means a missing supervisor blocks the commit rather than skipping its checks.
 */
export const hookHasForegroundJobs = (docs: ReadonlyArray<unknown>, hook: string): boolean => {
  let jobs: unknown[] = []
  let hookBackground: unknown = undefined
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue
    if (!isObject(doc)) return true
    const hooks = doc.hooks
    if (hooks === undefined || hooks === null) continue
    if (!isObject(hooks)) return true
    const entry = hooks[hook]
    if (entry === undefined || entry === null) continue
    if (!isObject(entry)) return true
    if (entry.background !== undefined) hookBackground = entry.background
    if (entry.jobs !== undefined) {
      if (!Array.isArray(entry.jobs)) return true
      jobs = mergeJobs(jobs, entry.jobs)
    }
  }
  if (hookBackground !== undefined && typeof hookBackground !== "boolean") return true
  return jobs.some((job) => {
    if (!isObject(job)) return true
    const own = job.background
    if (own !== undefined && typeof own !== "boolean") return true
    return (own ?? hookBackground ?? false) === false
  })
}

/** hookd-local.yml overrides jobs by name and adds new ones. */
const mergeJobs = (base: unknown[], overlay: unknown[]): unknown[] => {
  const out = [...base]
  for (const job of overlay) {
    const name = isObject(job) ? job.name : undefined
    const at = name === undefined ? -1 : out.findIndex((j) => isObject(j) && j.name === name)
    if (at >= 0) out[at] = { ...(out[at] as Loose), ...(job as Loose) }
    else out.push(job)
  }
  return out
}

export type WaitDecision = "foreground" | "background-only" | "no-config"

/** What run-hook must assume about `hook` in `worktree` when the supervisor is out of reach. */
export const decideWithoutSupervisor = async (worktree: string, hook: string, mode: string): Promise<WaitDecision> => {
  if (mode === "background") return "background-only"
  const file = findConfigFile(worktree)
  if (file === undefined) return "no-config"
  try {
    const docs = await loadDocuments(file)
    if (mode === "foreground") {
      const hooks = docs.map((d) => (isObject(d) && isObject(d.hooks) ? d.hooks : {}))
      return hooks.some((h) => isObject(h) && h[hook] !== undefined && h[hook] !== null) ? "foreground" : "background-only"
    }
    return hookHasForegroundJobs(docs, hook) ? "foreground" : "background-only"
  } catch {
    return "foreground"
  }
}

/**
 * What a spool shim compares before it skips node: `cksum` of the config file and hookd-local.yml,
 * named relative to the worktree exactly as the shim's sh names them (src/client/shims.ts). Any
 * change of either file changes it, and the shim then takes the hookctl path, which reads the new
 * config. Undefined when cksum cannot run (no spool shim then).
 */
export const configFingerprint = (worktree: string, file: string): string | undefined => {
  const name = relative(worktree, file)
  const local = join(dirname(name), LOCAL_CONFIG_FILE_NAME)
  const names = existsSync(join(worktree, local)) ? [name, local] : [name]
  try {
    return nodeChildProcess().execFileSync("cksum", names, { cwd: worktree, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).replace(/\n+$/, "")
  } catch {
    return undefined
  }
}
