// The concrete service files of this installation: the checked-in templates (systemd/, launchd/)
// with absolute paths substituted. Loading reads the package; rendering is pure.
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { socketPath, stateDir } from "../protocol/paths"
import type { Env } from "./context"
import type { Installation } from "./installation"
import { escapeSystemdExecArg, escapeSystemdExecPath, escapeSystemdQuoted, escapeXml, renderTemplate } from "./render"
import {
  LAUNCHD_LABEL,
  launchAgentPath,
  launchdLogDir,
  SYSTEMD_SERVICE_UNIT,
  SYSTEMD_SOCKET_UNIT,
  systemdUserDir
} from "./targets"

export interface ServiceFile {
  readonly path: string
  readonly content: string
}

export interface SystemdTemplates {
  readonly socket: string
  readonly service: string
}

export const systemdTemplatePaths = (root: string) => ({
  socket: join(root, "systemd", SYSTEMD_SOCKET_UNIT),
  service: join(root, "systemd", SYSTEMD_SERVICE_UNIT)
})
export const launchdTemplatePath = (root: string): string => join(root, "launchd", `${LAUNCHD_LABEL}.plist`)

export const loadSystemdTemplates = (root: string): SystemdTemplates => {
  const paths = systemdTemplatePaths(root)
  return { socket: readFileSync(paths.socket, "utf8"), service: readFileSync(paths.service, "utf8") }
}
export const loadLaunchdTemplate = (root: string): string => readFileSync(launchdTemplatePath(root), "utf8")

export const renderSystemdUnits = (templates: SystemdTemplates, inst: Installation, env: Env): ReadonlyArray<ServiceFile> => {
  const dir = systemdUserDir(env)
  const values = {
    NODE: escapeSystemdExecPath(inst.node),
    HOOKD: escapeSystemdExecArg(inst.hookd),
    STATE_DIR: escapeSystemdQuoted(stateDir(env))
  }
  return [
    { path: join(dir, SYSTEMD_SOCKET_UNIT), content: renderTemplate(templates.socket, values) },
    { path: join(dir, SYSTEMD_SERVICE_UNIT), content: renderTemplate(templates.service, values) }
  ]
}

/** hookd's own PATH under launchd: node's directory first, then the usual Homebrew and system dirs. */
export const launchdPath = (node: string): string =>
  [...new Set([dirname(node), "/usr/local/bin", "/opt/homebrew/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"])].join(":")

export const renderLaunchAgent = (template: string, inst: Installation, env: Env): ServiceFile => {
  const values: Record<string, string> = {
    LABEL: LAUNCHD_LABEL,
    NODE: inst.node,
    HOOKD: inst.hookd,
    LOG_DIR: launchdLogDir(env),
    PATH: launchdPath(inst.node),
    // Computed with darwin's rules: this is the path hookctl on the Mac will use.
    SOCKET: socketPath(env, "darwin"),
    STATE_DIR: stateDir(env)
  }
  const escaped = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeXml(v)]))
  return { path: launchAgentPath(env), content: renderTemplate(template, escaped) }
}
