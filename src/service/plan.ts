// What `service install` / `service uninstall` do, as data: a list of steps that the shell in
// apply.ts carries out (or prints, for --dry-run). Pure: no I/O, table-testable.
import { dirname } from "node:path"
import type { ServiceFile } from "./unit-files"
import { LAUNCHD_LABEL, SYSTEMD_SERVICE_UNIT, SYSTEMD_SOCKET_UNIT } from "./targets"

/**
 * How a failing command is treated. Whatever the role, a missing tool means "no service manager".
 * - probe: the first contact with the manager; failing = the manager is not reachable.
 * - required: the manager was reachable and this must work; failing = the command failed (exit 1).
 * - best-effort: a failure is expected in the normal case (e.g. unloading what is not loaded).
 */
export type CommandRole = "probe" | "required" | "best-effort"

export type Step =
  | { readonly kind: "mkdir"; readonly path: string; readonly mode: number }
  | { readonly kind: "write"; readonly path: string; readonly content: string; readonly mode: number }
  | { readonly kind: "remove"; readonly path: string }
  | { readonly kind: "rmdir-if-empty"; readonly path: string }
  | { readonly kind: "run"; readonly argv: ReadonlyArray<string>; readonly role: CommandRole }

const FILE_MODE = 0o644
const DIR_MODE = 0o755
/** Logs may contain job output; only the user reads them. */
const LOG_DIR_MODE = 0o700

const systemctl = (...args: ReadonlyArray<string>): ReadonlyArray<string> => ["systemctl", "--user", ...args]

export const systemdInstallSteps = (units: ReadonlyArray<ServiceFile>): ReadonlyArray<Step> => [
  ...[...new Set(units.map((u) => dirname(u.path)))].map((path): Step => ({ kind: "mkdir", path, mode: DIR_MODE })),
  ...units.map((u): Step => ({ kind: "write", path: u.path, content: u.content, mode: FILE_MODE })),
  { kind: "run", argv: systemctl("daemon-reload"), role: "probe" },
  { kind: "run", argv: systemctl("enable", "--now", SYSTEMD_SOCKET_UNIT), role: "required" }
]

/** `installed`: the unit files that exist now; the directories are pruned only when left empty. */
export const systemdUninstallSteps = (installed: ReadonlyArray<string>, unitDir: string): ReadonlyArray<Step> => [
  // Stop both: a running hookd.service would otherwise outlive its socket.
  { kind: "run", argv: systemctl("disable", "--now", SYSTEMD_SOCKET_UNIT, SYSTEMD_SERVICE_UNIT), role: "probe" },
  ...installed.map((path): Step => ({ kind: "remove", path })),
  { kind: "rmdir-if-empty", path: unitDir },
  { kind: "rmdir-if-empty", path: dirname(unitDir) },
  { kind: "run", argv: systemctl("daemon-reload"), role: "required" }
]

export const launchdDomain = (uid: number): string => `gui/${uid}`
export const launchdService = (uid: number): string => `${launchdDomain(uid)}/${LAUNCHD_LABEL}`

export const launchdInstallSteps = (plist: ServiceFile, logDir: string, uid: number): ReadonlyArray<Step> => [
  { kind: "mkdir", path: dirname(plist.path), mode: DIR_MODE },
  // launchd does not create the directories of StandardOutPath/StandardErrorPath.
  { kind: "mkdir", path: logDir, mode: LOG_DIR_MODE },
  { kind: "write", path: plist.path, content: plist.content, mode: FILE_MODE },
  // A reinstall replaces the loaded agent; on a first install there is nothing to unload.
  { kind: "run", argv: ["launchctl", "bootout", launchdService(uid)], role: "best-effort" },
  { kind: "run", argv: ["launchctl", "bootstrap", launchdDomain(uid), plist.path], role: "required" }
]

export const launchdUninstallSteps = (installed: ReadonlyArray<string>, logDir: string, uid: number): ReadonlyArray<Step> => [
  // Fails when the agent is not loaded, which is fine: the goal is "not loaded".
  { kind: "run", argv: ["launchctl", "bootout", launchdService(uid)], role: "best-effort" },
  ...installed.map((path): Step => ({ kind: "remove", path })),
  // Logs that hold something are the user's to delete; an empty log directory is ours.
  { kind: "rmdir-if-empty", path: logDir }
]
