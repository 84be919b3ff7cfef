// `hookctl hooks install [--force]` / `hooks uninstall`: shims for the hooks named in hookd.yml.
import { isGitHookName, unknownHookMessage } from "../../config/hook-names"
import type { Command } from "../cli"
import { ClientError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../errors"
import { hooksDir, worktreeRoot } from "../git"
import { ConfigReadError, configuredHookNames, findConfigFile } from "../hook-config"
import { hookctlBinPath } from "../install-paths"
import { errLines, outLines } from "../output"
import { notInRepository } from "./job-lookup"
import { installShims, uninstallShims } from "../shims"
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
  if (file === undefined) throw new ClientError(`no hookd.yml found in ${worktree}`, EXIT_USAGE)
  let hooks: string[]
  try {
    hooks = await configuredHookNames(file)
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
  const result = installShims(dir, hooks, cmd.force, process.execPath, hookctlBinPath())
  const lines = result.lines.map((l) => terminalSafe(l))
  await (result.ok ? outLines(lines) : errLines(lines.map((l) => `hookctl: ${l}`)))
  return result.ok ? EXIT_OK : EXIT_FAILED
}
