// `hookctl hooks install [--force]` / `hooks uninstall`: shims for the hooks named in hookd.yml.
import { isGitHookName, unknownHookMessage } from "../../config/hook-names"
import type { Command } from "../cli"
import { ClientError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../errors"
import { hooksDir, worktreeRoot } from "../git"
import { ConfigReadError, configFingerprint, configuredHookNames, findConfigFile, hookHasForegroundJobs, loadDocuments } from "../hook-config"
import { hookctlBinPath } from "../install-paths"
import { errLines, out, outLines } from "../output"
import { classifyHooks, readHookFiles, type Inventory } from "../hook-inventory"
import { notInRepository } from "./job-lookup"
import { installShims, uninstallShims, type SpoolShim, type WaitShim } from "../shims"
import { STDIN_HOOKS } from "./run-hook"
import { terminalSafe } from "../../protocol/terminal-text"

type HooksCommand = Extract<Command, { kind: "hooks" }>

export const runHooks = async (cmd: HooksCommand): Promise<number> => {
  const dir = hooksDir(cmd.repo)
  if (dir === undefined) throw notInRepository(cmd.repo)
  if (cmd.action === "uninstall") {
    const result = uninstallShims(dir)
    const lines = result.lines.map((l) => terminalSafe(l))
    await (result.ok ? outLines(lines) : errLines(lines))
    return result.ok ? EXIT_OK : EXIT_FAILED
  }
  const worktree = worktreeRoot(cmd.repo) ?? cmd.repo
  const file = findConfigFile(worktree)
  if (cmd.action === "status") return hooksStatus(cmd, dir, file)
  if (file === undefined) throw new ClientError(`no hookd.yml found in ${worktree}`, EXIT_USAGE)
  let hooks: string[]
  let docs: unknown[]
  try {
    hooks = await configuredHookNames(file)
    docs = await loadDocuments(file)
  } catch (e) {
    if (e instanceof ConfigReadError) throw new ClientError(e.message, EXIT_FAILED)
    throw e
  }
  // A misspelt hook (`precommit:`) would get a shim git never runs: refuse before writing anything.
  const invalid = hooks.filter((h) => !isGitHookName(h))
  if (invalid.length > 0) {
    const lines = invalid.map((h) => `${file}: hooks.${h}: ${unknownHookMessage(h)}`)
    throw new ClientError(terminalSafe([...lines, "nothing was installed"].join("\n"), { keepNewlines: true }), EXIT_USAGE)
  }
  if (hooks.length === 0) {
    await outLines([`${file} names no hooks; nothing to install`])
    return EXIT_OK
  }
  const result = installShims(dir, hooks, cmd.force, process.execPath, hookctlBinPath(), spoolShimFor(worktree, file, docs), waitShimFor(docs))
  const lines = result.lines.map((l) => terminalSafe(l))
  await (result.ok ? outLines(lines) : errLines(lines.map((l) => `hookctl: ${l}`)))
  return result.ok ? EXIT_OK : EXIT_FAILED
}

/**
 * Which hooks get a fire-and-forget shim: those with only background jobs (nothing for git to wait
 * for) that read no stdin (the spool carries none), when `cksum` can fingerprint the config.
 */
const spoolShimFor = (worktree: string, file: string, docs: ReadonlyArray<unknown>): ((hook: string) => SpoolShim | undefined) => {
  let fingerprint: string | undefined | null = null
  return (hook) => {
    if (STDIN_HOOKS.has(hook) || hookHasForegroundJobs(docs, hook)) return undefined
    if (fingerprint === null) fingerprint = configFingerprint(worktree, file)
    return fingerprint === undefined ? undefined : { fingerprint }
  }
}

/**
 * Which hooks get a wait shim: those with jobs git waits for. It needs no fingerprint: the supervisor
 * reads the config as it is at each run, so a hook that gained or lost jobs since install is served
 * as it is now.
 */
const waitShimFor =
  (docs: ReadonlyArray<unknown>): ((hook: string) => WaitShim | undefined) =>
  (hook) =>
    hookHasForegroundJobs(docs, hook) ? { stdin: STDIN_HOOKS.has(hook) } : undefined

/** `  (background only, without node: …; waited, without node: …)` after the installed hooks, or nothing. */
const withoutNode = (inventory: Inventory, list: (names: ReadonlyArray<string>) => string): string => {
  const parts = [
    ...(inventory.spool.length > 0 ? [`background only, without node: ${list(inventory.spool)}`] : []),
    ...(inventory.wait.length > 0 ? [`waited, without node while hookd runs: ${list(inventory.wait)}`] : [])
  ]
  return parts.length > 0 ? `  (${parts.join("; ")})` : ""
}

/**
 * `hooks status`: the configured hooks against the hook files git would run. Exit 1 when a
 * configured hook has no shim (missing, or a foreign file in its place), so scripts can check it.
 */
const hooksStatus = async (cmd: HooksCommand, dir: string, file: string | undefined): Promise<number> => {
  let configured: string[] = []
  if (file !== undefined) {
    try {
      configured = await configuredHookNames(file)
    } catch (e) {
      if (e instanceof ConfigReadError) throw new ClientError(e.message, EXIT_FAILED)
      throw e
    }
  }
  const inventory = classifyHooks(configured, readHookFiles(dir))
  const blocked = inventory.configured.filter((h) => !inventory.installed.includes(h))
  if (cmd.json) {
    await out(JSON.stringify({ hooks_dir: dir, config_file: file ?? null, ...inventory }, null, 2) + "\n")
    return blocked.length > 0 ? EXIT_FAILED : EXIT_OK
  }
  const list = (names: ReadonlyArray<string>) => (names.length === 0 ? "-" : names.map((n) => terminalSafe(n)).join(", "))
  const lines = [
    `hooks dir   ${terminalSafe(dir)}`,
    `config      ${file === undefined ? "none (no hookd.yml in this worktree)" : terminalSafe(file)}`,
    `configured  ${list(inventory.configured)}`,
    `installed   ${list(inventory.installed)}${withoutNode(inventory, list)}`,
    `missing     ${list(inventory.missing)}`,
    `foreign     ${list(inventory.foreign)}`
  ]
  if (inventory.unused.length > 0) lines.push(`unused      ${list(inventory.unused)}  (shims for hooks the config no longer names)`)
  if (blocked.length > 0) lines.push(`run hookctl hooks install${inventory.foreign.some((h) => blocked.includes(h)) ? " (--force to keep a foreign hook as a backup)" : ""}`)
  await outLines(lines)
  return blocked.length > 0 ? EXIT_FAILED : EXIT_OK
}
