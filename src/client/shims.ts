// The git hook shims (SPEC §10): tiny sh scripts that exec `hookctl run-hook <hook> -- "$@"`.
// Planning is pure (what to do with each hook file); applying it is a thin shell of fs calls.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export const SHIM_MARKER = "# hookd shim v1"
export const BACKUP_SUFFIX = ".hookd-backup"

/** A single-quoted sh word (safe for any path). */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Absolute paths of this installation, so the hook works under git GUIs and minimal PATHs;
 * HOOKD_HOOKCTL (a hookctl executable) overrides them, and `hookctl` on PATH is the fallback when
 * the recorded node or hookctl has gone away (e.g. a node upgrade).
 */
export const renderShim = (hook: string, nodePath: string, hookctlPath: string): string =>
  [
    "#!/bin/sh",
    SHIM_MARKER,
    "# Written by `hookctl hooks install`; `hookctl hooks uninstall` removes it.",
    "# HOOKD=0 turns every hookd hook off before node starts (as husky's HUSKY=0 does).",
    `if [ "\${HOOKD:-}" = "0" ]; then exit 0; fi`,
    `node=${shQuote(nodePath)}`,
    `hookctl=${shQuote(hookctlPath)}`,
    `if [ -n "\${HOOKD_HOOKCTL:-}" ]; then exec "$HOOKD_HOOKCTL" run-hook ${hook} -- "$@"; fi`,
    `if [ -x "$node" ] && [ -f "$hookctl" ]; then exec "$node" "$hookctl" run-hook ${hook} -- "$@"; fi`,
    `if command -v hookctl >/dev/null 2>&1; then exec hookctl run-hook ${hook} -- "$@"; fi`,
    `echo "hookd: cannot run $hookctl with $node; reinstall the shims with 'hookctl hooks install'" >&2`,
    "exit 3",
    ""
  ].join("\n")

export const isShim = (content: string): boolean => content.includes(SHIM_MARKER)

export type ExistingHook = "absent" | "shim" | "foreign"

export interface HookState {
  readonly hook: string
  readonly existing: ExistingHook
  readonly backupExists: boolean
}

export type InstallStep =
  | { readonly hook: string; readonly step: "create" | "upgrade" | "backup-and-create" }
  | { readonly hook: string; readonly step: "refuse"; readonly reason: string }

/** Decides, for every hook, what install does — before anything is written (pure). */
export const planInstall = (states: ReadonlyArray<HookState>, force: boolean): InstallStep[] =>
  states.map(({ hook, existing, backupExists }): InstallStep => {
    if (existing === "absent") return { hook, step: "create" }
    if (existing === "shim") return { hook, step: "upgrade" }
    if (!force) return { hook, step: "refuse", reason: "is not a hookd shim (use --force to keep it as a backup)" }
    if (backupExists) return { hook, step: "refuse", reason: `is not a hookd shim and ${hook}${BACKUP_SUFFIX} already exists` }
    return { hook, step: "backup-and-create" }
  })

const readHookState = (dir: string, hook: string): HookState => {
  const path = join(dir, hook)
  const backupExists = existsSync(path + BACKUP_SUFFIX)
  if (!existsSync(path) && !isSymlink(path)) return { hook, existing: "absent", backupExists }
  let content = ""
  try {
    content = readFileSync(path, "utf8")
  } catch {
    // unreadable (a directory, a dangling link…): treat as foreign, never overwrite silently
  }
  return { hook, existing: isShim(content) ? "shim" : "foreign", backupExists }
}

const isSymlink = (path: string): boolean => {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

const writeShim = (dir: string, hook: string, content: string): void => {
  const path = join(dir, hook)
  const temp = `${path}.hookd-tmp-${process.pid}`
  writeFileSync(temp, content, { mode: 0o755 })
  chmodSync(temp, 0o755) // the umask may have cut the mode
  renameSync(temp, path)
}

export interface InstallResult {
  readonly ok: boolean
  readonly lines: ReadonlyArray<string>
}

/** Installs shims for `hooks` into `dir`: all or nothing when a foreign hook is in the way. */
export const installShims = (
  dir: string,
  hooks: ReadonlyArray<string>,
  force: boolean,
  nodePath: string,
  hookctlPath: string
): InstallResult => {
  mkdirSync(dir, { recursive: true })
  const plan = planInstall(hooks.map((hook) => readHookState(dir, hook)), force)
  const refused = plan.filter((s): s is Extract<InstallStep, { step: "refuse" }> => s.step === "refuse")
  if (refused.length > 0) {
    return {
      ok: false,
      lines: [...refused.map((s) => `${join(dir, s.hook)} ${s.reason}`), "nothing was changed"]
    }
  }
  const lines = plan.map((s) => {
    const path = join(dir, s.hook)
    if (s.step === "backup-and-create") renameSync(path, path + BACKUP_SUFFIX)
    writeShim(dir, s.hook, renderShim(s.hook, nodePath, hookctlPath))
    return s.step === "create"
      ? `installed ${path}`
      : s.step === "upgrade"
        ? `updated ${path}`
        : `moved the existing hook to ${path}${BACKUP_SUFFIX} and installed ${path}`
  })
  return { ok: true, lines }
}

/** Removes every hookd shim in `dir` and puts `<hook>.hookd-backup` files back. */
export const uninstallShims = (dir: string): InstallResult => {
  if (!existsSync(dir)) return { ok: true, lines: [`no hooks directory at ${dir}; nothing to do`] }
  const lines: string[] = []
  const entries = readdirSync(dir).sort()
  for (const name of entries) {
    if (name.endsWith(BACKUP_SUFFIX)) continue
    const path = join(dir, name)
    if (readHookState(dir, name).existing !== "shim") continue
    rmSync(path)
    lines.push(`removed ${path}`)
  }
  let ok = true
  for (const name of entries.filter((n) => n.endsWith(BACKUP_SUFFIX))) {
    const original = join(dir, name.slice(0, -BACKUP_SUFFIX.length))
    if (existsSync(original)) {
      ok = false
      lines.push(`kept ${join(dir, name)}: ${original} exists and is not a hookd shim`)
      continue
    }
    renameSync(join(dir, name), original)
    lines.push(`restored ${original}`)
  }
  if (lines.length === 0) lines.push(`no hookd shims in ${dir}`)
  return { ok, lines }
}
