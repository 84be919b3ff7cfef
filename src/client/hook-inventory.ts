// Which hooks the config names against which hook files git would run (issue 12 item 5):
// `hookctl hooks status`, and the once-per-config-change reminder a shim run prints when hookd.yml
// names a hook that has no shim. The classification is pure; reading the hooks dir is a thin shell.
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { isGitHookName } from "../config/hook-names"
import { LOCAL_CONFIG_FILE_NAME } from "../config/file-names"
import { hooksDir } from "./git"
import { configuredHookNames, findConfigFile } from "./hook-config"
import { BACKUP_SUFFIX, isShim, SPOOL_SHIM_MARKER } from "./shims"

export type HookFile = "shim" | "spool-shim" | "foreign"

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
}

/** Pure: the configured hook names against the hook files found (by name). */
export const classifyHooks = (configured: ReadonlyArray<string>, files: ReadonlyMap<string, HookFile>): Inventory => {
  const sorted = [...new Set(configured)].sort()
  const isShimFile = (hook: string) => files.get(hook) === "shim" || files.get(hook) === "spool-shim"
  return {
    configured: sorted,
    installed: sorted.filter(isShimFile),
    missing: sorted.filter((hook) => !files.has(hook)),
    foreign: [...files].filter(([, kind]) => kind === "foreign").map(([hook]) => hook).sort(),
    unused: [...files].filter(([hook, kind]) => kind !== "foreign" && !sorted.includes(hook)).map(([hook]) => hook).sort(),
    spool: sorted.filter((hook) => files.get(hook) === "spool-shim")
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
    files.set(name, !isShim(content) ? "foreign" : content.includes(SPOOL_SHIM_MARKER) ? "spool-shim" : "shim")
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

/** A digest of the config file and its hookd-local.yml (whatever their content, even invalid). */
export const configDigest = (configFile: string): string => {
  const hash = createHash("sha256")
  for (const path of [configFile, join(dirname(configFile), LOCAL_CONFIG_FILE_NAME)]) {
    try {
      hash.update(readFileSync(path)).update("\0")
    } catch {
      hash.update("-\0")
    }
  }
  return hash.digest("hex").slice(0, 32)
}

/**
 * Once per config change: `seen` is the state file remembering the digest last checked for this
 * config file (under `<state>/shim-check/`). Returns true when the config changed since, recording
 * the new digest; a state dir that cannot be written costs a repeated reminder, never the hook.
 */
export const firstRunSinceConfigChange = (stateDir: string, configFile: string): boolean => {
  const digest = configDigest(configFile)
  const dir = join(stateDir, "shim-check")
  const seen = join(dir, createHash("sha256").update(configFile).digest("hex").slice(0, 16))
  try {
    if (readFileSync(seen, "utf8") === digest) return false
  } catch {
    // never checked
  }
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 })
    const temp = `${seen}.${process.pid}`
    writeFileSync(temp, digest, { mode: 0o600 })
    renameSync(temp, seen)
  } catch {
    // best effort
  }
  return true
}

/**
 * What a shim run reminds of, once per change of the config: hooks it names with no shim (or a
 * foreign file) in the hooks dir. Costs a read and a hash when nothing changed; an unreadable config
 * reminds of nothing (the supervisor reports it).
 */
export const shimReminders = async (worktree: string, stateDir: string): Promise<string[]> => {
  const file = findConfigFile(worktree)
  if (file === undefined || !firstRunSinceConfigChange(stateDir, file)) return []
  let configured: string[]
  try {
    configured = (await configuredHookNames(file)).filter(isGitHookName)
  } catch {
    return []
  }
  const dir = hooksDir(worktree)
  return dir === undefined ? [] : reminderLines(file, classifyHooks(configured, readHookFiles(dir)), dir)
}
