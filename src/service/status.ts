// `hookctl service status`: which files are installed, what the service manager says about them,
// and whether a supervisor answers on the socket. Read-only; never starts anything.
import { existsSync } from "node:fs"
import { socketPath } from "../protocol/paths"
import { terminalSafe } from "../protocol/terminal-text"
import type { ServiceContext } from "./context"
import { launchdService } from "./plan"
import { probeSupervisor, type SupervisorProbe } from "./probe"
import { describeFailure, runCommand, type CommandResult } from "./run-command"
import { serviceFiles, SYSTEMD_SERVICE_UNIT, SYSTEMD_SOCKET_UNIT, systemdSocketPath, type ServicePlatform } from "./targets"

/** systemctl's words for "I could not talk to the user manager". */
const NO_BUS = /Failed to connect to bus|Failed to get D-Bus connection|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS/i

interface ManagerView {
  readonly lines: ReadonlyArray<string>
  /** false when the manager says hookd.service is not running: probing would socket-activate it. */
  readonly mayProbe: boolean
}

/** `is-enabled`/`is-active` answer on stdout and exit non-zero for "disabled"/"inactive": both are answers. */
const answerOf = (argv: ReadonlyArray<string>, r: CommandResult): { answer?: string; unreachable?: string } => {
  if (r.kind !== "exited") return { unreachable: describeFailure(argv, r) }
  const answer = r.stdout.trim().split("\n")[0]
  if (answer) return { answer }
  if (NO_BUS.test(r.stderr)) return { unreachable: describeFailure(argv, r) }
  return /No such file|not found|does not exist/i.test(r.stderr) ? { answer: "not found" } : { answer: `unknown (${describeFailure(argv, r)})` }
}

const systemdView = async (ctx: ServiceContext): Promise<ManagerView> => {
  const states: Record<string, string> = {}
  let unreachable: string | undefined
  // is-enabled reads the unit files and answers even without a bus; is-active needs the manager.
  for (const query of ["is-enabled", "is-active"]) {
    for (const unit of [SYSTEMD_SOCKET_UNIT, SYSTEMD_SERVICE_UNIT]) {
      // One unreachable answer is enough: do not pay the timeout for every query.
      if (unreachable !== undefined) break
      const argv = ["systemctl", "--user", query, unit]
      const answer = answerOf(argv, await runCommand(argv, ctx.env, ctx.commandTimeoutMs))
      if (answer.unreachable !== undefined) unreachable = answer.unreachable
      else states[`${query} ${unit}`] = answer.answer!
    }
  }
  const lines = [SYSTEMD_SOCKET_UNIT, SYSTEMD_SERVICE_UNIT].map(
    (unit) => `${unit}: ${states[`is-enabled ${unit}`] ?? "unknown"}, ${states[`is-active ${unit}`] ?? "unknown"}`
  )
  if (unreachable !== undefined) lines.push(`service manager: not reachable (${unreachable})`)
  const listening = systemdSocketPath(ctx.env)
  if (listening !== undefined) lines.push(`hookd.socket listens on ${listening}`)
  // Connecting to a listening socket whose service is down would start hookd: status must not.
  const activatesOnProbe = states[`is-active ${SYSTEMD_SOCKET_UNIT}`] === "active" && states[`is-active ${SYSTEMD_SERVICE_UNIT}`] !== "active"
  return { lines, mayProbe: !activatesOnProbe }
}

const launchdView = async (ctx: ServiceContext): Promise<ManagerView> => {
  const argv = ["launchctl", "print", launchdService(ctx.uid)]
  const r = await runCommand(argv, ctx.env, ctx.commandTimeoutMs)
  if (r.kind !== "exited") return { lines: [`service manager: not reachable (${describeFailure(argv, r)})`], mayProbe: true }
  if (r.code !== 0) return { lines: [`${launchdService(ctx.uid)}: not loaded`], mayProbe: true }
  const state = /^\s*state = (.+)$/m.exec(r.stdout)?.[1]
  const pid = /^\s*pid = (\d+)$/m.exec(r.stdout)?.[1]
  const details = [state && `state ${state}`, pid && `pid ${pid}`].filter(Boolean).join(", ")
  return { lines: [`${launchdService(ctx.uid)}: loaded${details ? ` (${details})` : ""}`], mayProbe: true }
}

const describeProbe = (path: string, p: SupervisorProbe | undefined): string =>
  p === undefined
    ? `supervisor: not running (the socket unit starts it on the first connection to ${path})`
    : p.running
      ? `supervisor: running, pid ${p.pid}, version ${p.version}, socket ${path}, state ${p.stateDir}`
      : `supervisor: not running (${p.reason}; socket ${path})`

export const serviceStatus = async (platform: ServicePlatform, ctx: ServiceContext): Promise<number> => {
  // Paths, the service manager's words and the supervisor's answer are foreign text: escaped (issue 14 item 11).
  const say = (line: string) => ctx.out(`${terminalSafe(line)}\n`)
  for (const file of serviceFiles(platform, ctx.env)) say(`${existsSync(file) ? "installed" : "missing  "} ${file}`)
  const view = platform === "linux" ? await systemdView(ctx) : await launchdView(ctx)
  for (const line of view.lines) say(line)
  const path = socketPath(ctx.env)
  const probe = view.mayProbe ? await probeSupervisor(path, ctx.installation.version) : undefined
  say(describeProbe(path, probe))
  return 0
}
