// `hookctl hooks install [--force]` / `hooks uninstall`: shims for the hooks named in hookd.yml.
import type { Command } from "../cli"
import { ClientError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../errors"
import { hooksDir, worktreeRoot } from "../git"
import { ConfigReadError, configuredHookNames, findConfigFile } from "../hook-config"
import { hookctlBinPath } from "../install-paths"
import { errLines, outLines } from "../output"
import { installShims, uninstallShims } from "../shims"
import { terminalSafe } from "../terminal-text"

type HooksCommand = Extract<Command, { kind: "hooks" }>

const HOOK_NAME = /^[a-z][a-z0-9-]*$/

export const runHooks = async (cmd: HooksCommand): Promise<number> => {
  const dir = hooksDir(cmd.repo)
  if (dir === undefined) throw new ClientError(`${cmd.repo} is not inside a git repository`, EXIT_USAGE)
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
  const invalid = hooks.filter((h) => !HOOK_NAME.test(h))
  if (invalid.length > 0) throw new ClientError(`${file}: not a git hook name: ${invalid.map((h) => terminalSafe(h)).join(", ")}`, EXIT_FAILED)
  if (hooks.length === 0) {
    await outLines([`${file} names no hooks; nothing to install`])
    return EXIT_OK
  }
  const result = installShims(dir, hooks, cmd.force, process.execPath, hookctlBinPath())
  const lines = result.lines.map((l) => terminalSafe(l))
  await (result.ok ? outLines(lines) : errLines(lines.map((l) => `hookctl: ${l}`)))
  return result.ok ? EXIT_OK : EXIT_FAILED
}
