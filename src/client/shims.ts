// The git hook shims (SPEC §10): tiny sh scripts that exec `hookctl run-hook <hook> -- "$@"`.
// Planning is pure (what to do with each hook file); applying it is a thin shell of fs calls.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { CONFIG_FILE_NAMES, LOCAL_CONFIG_FILE_NAME } from "../config/file-names"

export const SHIM_MARKER = "# hookd shim v1"
export const BACKUP_SUFFIX = ".hookd-backup"

/** A single-quoted sh word (safe for any path). */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Absolute paths of this installation, so the hook works under git GUIs and minimal PATHs;
 * HOOKD_HOOKCTL (a hookctl executable) overrides them, and `hookctl` on PATH is the fallback when
 * the recorded node or hookctl has gone away (e.g. a node upgrade).
 */
export const renderShim = (hook: string, nodePath: string, hookctlPath: string, spool?: SpoolShim): string =>
  [
    "#!/bin/sh",
    SHIM_MARKER,
    "# Written by `hookctl hooks install`; `hookctl hooks uninstall` removes it.",
    "# HOOKD=0 turns every hookd hook off before node starts (as husky's HUSKY=0 does).",
    `if [ "\${HOOKD:-}" = "0" ]; then exit 0; fi`,
    ...(spool === undefined ? [] : spoolLines(hook, spool)),
    `node=${shQuote(nodePath)}`,
    `hookctl=${shQuote(hookctlPath)}`,
    `if [ -n "\${HOOKD_HOOKCTL:-}" ]; then exec "$HOOKD_HOOKCTL" run-hook ${hook} -- "$@"; fi`,
    `if [ -x "$node" ] && [ -f "$hookctl" ]; then exec "$node" "$hookctl" run-hook ${hook} -- "$@"; fi`,
    `if command -v hookctl >/dev/null 2>&1; then exec hookctl run-hook ${hook} -- "$@"; fi`,
    `echo "hookd: cannot run $hookctl with $node; reinstall the shims with 'hookctl hooks install'" >&2`,
    "exit 3",
    ""
  ].join("\n")

/** A background-only hook's shim hands the request over without node (see spoolLines). */
export interface SpoolShim {
  /** `cksum` of the config file(s) the hook was found background-only in (configFingerprint). */
  readonly fingerprint: string
}

export const SPOOL_SHIM_MARKER = "# hookd spool shim"

/**
 * The fire-and-forget part of a background-only hook's shim: git needs no answer, so while a
 * supervisor runs (its pid file, `kill -0`) the request — cwd, hook, args and `env -0`, every field
 * NUL-ended (src/spool/request-file.ts reads it) — goes into `<state>/spool/` with an atomic rename,
 * and the shim exits without starting node. The config must still be the one install saw (same
 * `cksum`), or the hook may have gained jobs git must wait for: then, or when anything here fails,
 * the hookctl path below runs. `HOOKD_SPOOL=0` always takes it.
 */
const spoolLines = (hook: string, spool: SpoolShim): string[] => [
  `${SPOOL_SHIM_MARKER}: ${hook} has only background jobs in the config it was installed for.`,
  `if [ "\${HOOKD_SPOOL:-}" != "0" ]; then`,
  `  hookd_fp=${shQuote(spool.fingerprint)}`,
  `  hookd_state=\${HOOKD_STATE_DIR:-\${XDG_STATE_HOME:-\${HOME:-/nonexistent}/.local/state}/hookd}`,
  `  hookd_spool=$hookd_state/spool`,
  `  hookd_pid=`,
  `  if [ -d "$hookd_spool" ] && [ ! -h "$hookd_spool" ] && [ -O "$hookd_spool" ] && { read -r hookd_pid < "$hookd_state/hookd.pid"; } 2>/dev/null \\`,
  `    && case $hookd_pid in ''|*[!0-9]*) false ;; esac && kill -0 "$hookd_pid" 2>/dev/null; then`,
  `    hookd_conf=`,
  `    for hookd_f in ${CONFIG_FILE_NAMES.join(" ")}; do if [ -f "$hookd_f" ]; then hookd_conf=$hookd_f; break; fi; done`,
  `    case $hookd_conf in */*) hookd_local=\${hookd_conf%/*}/${LOCAL_CONFIG_FILE_NAME} ;; *) hookd_local=${LOCAL_CONFIG_FILE_NAME} ;; esac`,
  `    if [ -z "$hookd_conf" ]; then hookd_sum=; elif [ -f "$hookd_local" ]; then hookd_sum=$(cksum "$hookd_conf" "$hookd_local" 2>/dev/null); else hookd_sum=$(cksum "$hookd_conf" 2>/dev/null); fi`,
  `    if [ -n "$hookd_sum" ] && [ "$hookd_sum" = "$hookd_fp" ] && (`,
  // In a subshell, so the umask stays here. $PWD may be a symlinked spelling: the supervisor resolves it.
  `      umask 077 && hookd_tmp=$hookd_spool/.$$.tmp &&`,
  `      { printf 'hookd-spool v1\\0%s\\0%s\\0%s\\0' "$PWD" ${hook} "$#" && { [ "$#" -eq 0 ] || printf '%s\\0' "$@"; } && env -0; } > "$hookd_tmp" &&`,
  `      mv -f "$hookd_tmp" "$hookd_spool/$$.$PPID.req" || { rm -f "$hookd_tmp"; false; }`,
  `    ) 2>/dev/null; then exit 0; fi`,
  `  fi`,
  `fi`
]

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
  hookctlPath: string,
  spoolFor: (hook: string) => SpoolShim | undefined = () => undefined
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
    const spool = spoolFor(s.hook)
    writeShim(dir, s.hook, renderShim(s.hook, nodePath, hookctlPath, spool))
    const kind = spool === undefined ? "" : " (background only: hands the hook over without starting node)"
    return s.step === "create"
      ? `installed ${path}${kind}`
      : s.step === "upgrade"
        ? `updated ${path}${kind}`
        : `moved the existing hook to ${path}${BACKUP_SUFFIX} and installed ${path}${kind}`
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
