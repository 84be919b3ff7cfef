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
export const renderShim = (hook: string, nodePath: string, hookctlPath: string, spool?: SpoolShim, wait?: WaitShim): string =>
  [
    "#!/bin/sh",
    SHIM_MARKER,
    "# Written by `hookctl hooks install`; `hookctl hooks uninstall` removes it.",
    "# HOOKD=0 turns every hookd hook off before node starts (as husky's HUSKY=0 does).",
    `if [ "\${HOOKD:-}" = "0" ]; then exit 0; fi`,
    ...(spool === undefined ? [] : spoolLines(hook, spool)),
    ...(spool !== undefined || wait === undefined ? [] : waitLines(hook, wait)),
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

/** A hook git waits for is served through fifos without node (see waitLines). */
export interface WaitShim {
  /** git feeds this hook on stdin (run-hook's STDIN_HOOKS): the shim saves it for the supervisor. */
  readonly stdin: boolean
}

export const WAIT_SHIM_MARKER = "# hookd wait shim"

/**
 * The waited part of a shim (src/spool/wait-session.ts is the other side): while a supervisor runs,
 * the shim makes `<state>/wait/<pid>` (0700) with fifos `out`, `err`, `code` and `live`, starts a
 * `cat` on each output fifo, holds `live` open (fd 3: its EOF tells hookd the shim is gone, even
 * after -9; no child keeps it), spools a `hookd-wait v1` request naming the directory (the spool
 * request plus the directory and flags: `o`/`e` stdout/stderr is a terminal, `m` both are one file
 * — git sends a commit hook's stdout to its stderr; one fifo keeps the order of their lines —, `i`
 * git's stdin saved in `stdin`), and reads the exit code from `code`.
 *
 * Never hanging git: a watchdog checks every second that the supervisor lives (and, until hookd
 * took the request, that it takes it within 30 s); if not, it claims the request (`taken`, created
 * with `set -C`: whoever makes it first runs the jobs) and, every second while the shim lives,
 * opens the fifos read-write and closes them, so every open and read ends, however late it comes. Without an exit code the shim then prints hookd's `taken` notice (it
 * took the request, then died: run-hook's own words) or, when its own claim won, takes its request
 * back out of the spool and runs the hookctl path below, which runs the jobs (once).
 */
const waitLines = (hook: string, wait: WaitShim): string[] => [
  `${WAIT_SHIM_MARKER}: ${hook} is served through fifos without node while a supervisor runs.`,
  `if [ "\${HOOKD_SPOOL:-}" != "0" ]; then`,
  `  hookd_state=\${HOOKD_STATE_DIR:-\${XDG_STATE_HOME:-\${HOME:-/nonexistent}/.local/state}/hookd}`,
  `  hookd_spool=$hookd_state/spool`,
  `  hookd_d=$hookd_state/wait/$$`,
  `  hookd_pid=`,
  `  if [ -d "$hookd_spool" ] && [ ! -h "$hookd_spool" ] && [ -O "$hookd_spool" ] && { read -r hookd_pid < "$hookd_state/hookd.pid"; } 2>/dev/null \\`,
  `    && case $hookd_pid in ''|*[!0-9]*) false ;; esac && kill -0 "$hookd_pid" 2>/dev/null && mkdir -m 700 "$hookd_d" 2>/dev/null; then`,
  `    hookd_code=`,
  `    hookd_flags=`,
  `    [ -t 1 ] && hookd_flags=o`,
  `    [ -t 2 ] && hookd_flags=\${hookd_flags}e`,
  `    [ /dev/stdout -ef /dev/stderr ] && hookd_flags=\${hookd_flags}m`,
  `    if mkfifo -m 600 "$hookd_d/out" "$hookd_d/err" "$hookd_d/code" "$hookd_d/live" 2>/dev/null${
    wait.stdin ? ` \\
      && { [ -t 0 ] || { cat > "$hookd_d/stdin" && hookd_flags=\${hookd_flags}i; }; }` : ""
  }; then`,
  `      command exec 3<>"$hookd_d/live"`,
  `      cat "$hookd_d/out" 3>&- &`,
  `      hookd_cats=$!`,
  `      case $hookd_flags in *m*) ;; *) cat "$hookd_d/err" >&2 3>&- & hookd_cats="$hookd_cats $!" ;; esac`,
  `      (`,
  `        hookd_n=0`,
  `        while kill -0 $$; do`,
  `          if ! kill -0 "$hookd_pid" || { [ ! -e "$hookd_d/taken" ] && [ "$hookd_n" -ge 30 ]; }; then`,
  `            { set -C; true > "$hookd_d/taken"; }`,
  // Opening read-write lets every blocked open go, and closing gives its read EOF; a reader that
  // only comes later (the shim not yet at its read when hookd died) is let go at the next round,
  // so the release repeats for as long as the shim lives instead of once (a one-off release left
  // such a reader blocked for good).
  `            while :; do`,
  `              exec 4<>"$hookd_d/out" 5<>"$hookd_d/err" 6<>"$hookd_d/code"`,
  `              exec 4>&- 5>&- 6>&-`,
  `              kill -0 $$ || exit 0`,
  `              sleep 1`,
  `            done`,
  `          fi`,
  `          sleep 1`,
  `          hookd_n=$((hookd_n + 1))`,
  `        done`,
  `      ) >/dev/null 2>&1 3>&- &`,
  `      hookd_wd=$!`,
  `      if { printf 'hookd-wait v1\\0%s\\0%s\\0%s\\0%s\\0%s\\0' "$hookd_d" "$hookd_flags" "$PWD" ${hook} "$#" && { [ "$#" -eq 0 ] || printf '%s\\0' "$@"; } && env -0; } > "$hookd_d/req" 2>/dev/null \\`,
  `        && mv -f "$hookd_d/req" "$hookd_spool/$$.req" 2>/dev/null; then`,
  // Ctrl-C interrupts this open (dash would say so): the shim dies, and with it the live fifo's writer.
  `        { read -r hookd_code < "$hookd_d/code"; } 2>/dev/null`,
  `      else`,
  `        { set -C; true > "$hookd_d/taken"; } 2>/dev/null; set +C`,
  // Nothing was handed over, so nothing will be written: end the cats, wherever they are (a
  // one-off read-write open let go only a cat already blocked in its open).
  `        kill $hookd_cats 2>/dev/null`,
  `      fi`,
  `      wait $hookd_cats`,
  `      kill "$hookd_wd" 2>/dev/null`,
  `      exec 3>&-`,
  `      case $hookd_code in ''|*[!0-9]*) ;; *) exit "$hookd_code" ;; esac`,
  `      if [ -s "$hookd_d/taken" ] && { read -r hookd_code && case $hookd_code in ''|*[!0-9]*) false ;; esac && cat >&2; } < "$hookd_d/taken"; then`,
  `        rm -rf "$hookd_d"`,
  `        exit "$hookd_code"`,
  `      fi`,
  `      rm -f "$hookd_spool/$$.req"`,
  ...(wait.stdin ? [`      if [ -f "$hookd_d/stdin" ]; then command exec 0< "$hookd_d/stdin"; fi`] : []),
  `    fi`,
  `    rm -rf "$hookd_d"`,
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
  spoolFor: (hook: string) => SpoolShim | undefined = () => undefined,
  waitFor: (hook: string) => WaitShim | undefined = () => undefined
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
    const wait = spool === undefined ? waitFor(s.hook) : undefined
    writeShim(dir, s.hook, renderShim(s.hook, nodePath, hookctlPath, spool, wait))
    const kind =
      spool !== undefined
        ? " (background only: hands the hook over without starting node)"
        : wait !== undefined
          ? " (waited: served without starting node while hookd runs)"
          : ""
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
