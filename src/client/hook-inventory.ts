// Which hooks the config names against which hook files git would run (issue 12 item 5):
// `hookctl hooks status`, and the once-per-config-change reminder a shim run prints when hookd.yml
// names a hook that has no shim. The classification is pure; reading the hooks dir is a thin shell.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { isGitHookName } from "../config/hook-names"
import { LOCAL_CONFIG_FILE_NAME } from "../config/file-names"
import { hooksDir } from "./git"
import { configuredHookNames, findConfigFile } from "./hook-config"
import { BACKUP_SUFFIX, isShim, SPOOL_SHIM_MARKER, WAIT_SHIM_MARKER } from "./shims"

export type HookFile = "shim" | "spool-shim" | "wait-shim" | "foreign"

export interface Inventory {
  readonly configured: ReadonlyArray<string>
  /** Configured hooks with a hookd shim. */
  readonly installed: ReadonlyArray<string>
  /** Configured hooks with no file at all: git runs nothing for them. */
  readonly missing: ReadonlyArray<string>
  /** Hook files that are not hookd shims (configured or not): git runs them, hookd does not. */
  readonly foreign: ReadonlyArray<string>
  /** hookd shims for hooks the config no longer names (they run nothing). */
  readonly unused: ReadonlyArray<string>
  /** Installed hooks whose shim hands requests over without node (background only). */
  readonly spool: ReadonlyArray<string>
  /** Installed hooks whose shim waits on fifos without node while hookd runs (hooks git waits for). */
  readonly wait: ReadonlyArray<string>
}

const isShimKind = (kind: HookFile | undefined): boolean => kind === "shim" || kind === "spool-shim" || kind === "wait-shim"

/** Pure: the configured hook names against the hook files found (by name). */
export const classifyHooks = (configured: ReadonlyArray<string>, files: ReadonlyMap<string, HookFile>): Inventory => {
  const sorted = [...new Set(configured)].sort()
  const isShimFile = (hook: string) => isShimKind(files.get(hook))
  return {
    configured: sorted,
    installed: sorted.filter(isShimFile),
    missing: sorted.filter((hook) => !files.has(hook)),
    foreign: [...files].filter(([, kind]) => kind === "foreign").map(([hook]) => hook).sort(),
    unused: [...files].filter(([hook, kind]) => kind !== "foreign" && !sorted.includes(hook)).map(([hook]) => hook).sort(),
    spool: sorted.filter((hook) => files.get(hook) === "spool-shim"),
    wait: sorted.filter((hook) => files.get(hook) === "wait-shim")
  }
}

/** The git hook files in `dir` (samples, backups and other names git never runs are left out). */
export const readHookFiles = (dir: string): Map<string, HookFile> => {
  const files = new Map<string, HookFile>()
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return files
  }
  for (const name of names) {
    if (!isGitHookName(name) || name.endsWith(BACKUP_SUFFIX)) continue
    let content = ""
    try {
      content = readFileSync(join(dir, name), "utf8")
    } catch {
      // a directory or an unreadable file: git cannot run it as hookd's either
    }
    files.set(
      name,
      !isShim(content) ? "foreign" : content.includes(SPOOL_SHIM_MARKER) ? "spool-shim" : content.includes(WAIT_SHIM_MARKER) ? "wait-shim" : "shim"
    )
  }
  return files
}

/** The reminder lines for what a shim run can see is wrong (pure). */
export const reminderLines = (configFile: string, inventory: Inventory, hooksDir: string): string[] => {
  const name = configFile.split("/").pop() ?? configFile
  const lines = inventory.missing.map((hook) => `hookd: ${name} names ${hook} but no shim is installed — run hookctl hooks install`)
  for (const hook of inventory.foreign.filter((h) => inventory.configured.includes(h))) {
    lines.push(`hookd: ${name} names ${hook} but ${join(hooksDir, hook)} is not a hookd shim — hookctl hooks install --force keeps it as a backup`)
  }
  return lines
}

/**
 * 64 bits of FNV-1a (two 32-bit lanes) over `parts`: enough to notice an edit, and computed without
 * node:crypto, whose loading would cost every hook run more than hashing a config does.
 */
export const fnv64 = (parts: ReadonlyArray<Uint8Array>): string => {
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      a = Math.imul(a ^ part[i]!, 0x01000193)
      b = Math.imul(b ^ part[i]!, 0x01000193) ^ (a >>> 15)
    }
    a = Math.imul(a ^ 0x100, 0x01000193) // a separator outside the byte range: ["ab"] ≠ ["a", "b"]
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0")
}

/** A digest of the config file and its hookd-local.yml (whatever their content, even invalid). */
export const configDigest = (configFile: string): string =>
  fnv64(
    [configFile, join(dirname(configFile), LOCAL_CONFIG_FILE_NAME)].map((path) => {
      try {
        return readFileSync(path)
      } catch {
        return new Uint8Array([0xfe]) // absent: differs from any empty file
      }
    })
  )

/** Where the digest last checked for this config file is remembered (under `<state>/shim-check/`). */
const seenFile = (stateDir: string, configFile: string): string =>
  join(stateDir, "shim-check", fnv64([Buffer.from(configFile)]))

const alreadyChecked = (seen: string, digest: string): boolean => {
  try {
    return readFileSync(seen, "utf8") === digest
  } catch {
    return false // never checked
  }
}

/** A state dir that cannot be written costs a repeated reminder, never the hook. */
const rememberChecked = (seen: string, digest: string): void => {
  try {
    if (!existsSync(dirname(seen))) mkdirSync(dirname(seen), { recursive: true, mode: 0o700 })
    const temp = `${seen}.${process.pid}`
    writeFileSync(temp, digest, { mode: 0o600 })
    renameSync(temp, seen)
  } catch {
    // best effort
  }
}

/**
 * What a shim run reminds of, once per change of the config (its digest remembered per config
 * file): hooks it names with no shim (or a foreign file) in the hooks dir. Costs a read and a hash when nothing changed; an unreadable config
 * reminds of nothing (the supervisor reports it).
 */
export const shimReminders = async (worktree: string, hook: string, stateDir: string): Promise<string[]> => {
  const file = findConfigFile(worktree)
  if (file === undefined) return []
  const digest = configDigest(file)
  const seen = seenFile(stateDir, file)
  if (alreadyChecked(seen, digest)) return []
  let configured: string[]
  try {
    configured = (await configuredHookNames(file)).filter(isGitHookName)
  } catch {
    return []
  }
  const dir = hooksDir(worktree)
  if (dir === undefined) return []
  const files = readHookFiles(dir)
  // Run by hand (`hookctl run-hook x` with no shim for x): not a shim run, so keep the reminder for one.
  if (!isShimKind(files.get(hook))) return []
  rememberChecked(seen, digest)
  return reminderLines(file, classifyHooks(configured, files), dir)
}
