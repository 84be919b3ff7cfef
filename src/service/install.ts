// `hookctl service install|uninstall`: build the plan for this platform, then print or apply it
// and explain the result. Exit codes: 0 ok (also when no service manager is reachable),
// 1 a command of a reachable manager failed.
import { existsSync } from "node:fs"
import { socketPath } from "../protocol/paths"
import { applyPlan, printPlan, type ApplyOutcome } from "./apply"
import type { ServiceContext } from "./context"
import { probeSupervisor } from "./probe"
import { launchdInstallSteps, launchdUninstallSteps, systemdInstallSteps, systemdUninstallSteps, type Step } from "./plan"
import { shellQuote } from "./render"
import { launchdLogDir, LAUNCHD_LABEL, serviceFiles, systemdSocketPath, systemdUserDir, type ServicePlatform } from "./targets"
import { loadLaunchdTemplate, loadSystemdTemplates, renderLaunchAgent, renderSystemdUnits } from "./unit-files"

const installSteps = (platform: ServicePlatform, ctx: ServiceContext): ReadonlyArray<Step> => {
  const inst = ctx.installation
  return platform === "linux"
    ? systemdInstallSteps(renderSystemdUnits(loadSystemdTemplates(inst.root), inst, ctx.env))
    : launchdInstallSteps(renderLaunchAgent(loadLaunchdTemplate(inst.root), inst, ctx.env), launchdLogDir(ctx.env), ctx.uid)
}

/** How to run hookd without a service manager. */
export const manualStartHelp = (ctx: ServiceContext): string => {
  const { node, hookd, root } = ctx.installation
  return [
    "Start hookd by hand instead:",
    `  ${shellQuote([node, hookd])} &`,
    `or, in ${root}:`,
    "  npm start",
    "hookctl also starts hookd by itself when no supervisor answers (unless HOOKD_NO_AUTOSTART=1)."
  ].join("\n")
}

const enableLater = (platform: ServicePlatform, ctx: ServiceContext): string =>
  platform === "linux"
    ? "  systemctl --user daemon-reload && systemctl --user enable --now hookd.socket"
    : `  launchctl bootstrap gui/${ctx.uid} ${shellQuote(serviceFiles("darwin", ctx.env))}`

/** systemd listens at %t/hookd/hookd.sock; a client configured elsewhere would never reach it. */
const socketMismatchNote = (ctx: ServiceContext): string | undefined => {
  const unitPath = systemdSocketPath(ctx.env)
  const clientPath = socketPath(ctx.env)
  if (unitPath === undefined || unitPath === clientPath) return undefined
  return `note: hookctl here uses ${clientPath} (HOOKD_SOCKET or a long path) but hookd.socket listens on ${unitPath}; unset HOOKD_SOCKET so clients use the service`
}

const reportInstall = (platform: ServicePlatform, outcome: ApplyOutcome, ctx: ServiceContext): number => {
  switch (outcome.kind) {
    case "done":
      ctx.out(
        platform === "linux"
          ? `hookd is installed: systemd listens on ${systemdSocketPath(ctx.env) ?? "%t/hookd/hookd.sock"} and starts hookd on the first connection.\n`
          : `hookd is installed: launchd runs ${LAUNCHD_LABEL} now and at every login (logs in ${launchdLogDir(ctx.env)}).\n`
      )
      if (platform === "linux") {
        const note = socketMismatchNote(ctx)
        if (note !== undefined) ctx.out(`${note}\n`)
      }
      ctx.out("Check it with: hookctl service status\n")
      return 0
    case "no-manager":
      ctx.out(
        [
          `No user service manager is reachable: ${outcome.reason}.`,
          "The service files are written, but nothing was enabled or started.",
          "Once a user service manager runs (for example after logging in again, or after",
          platform === "linux" ? "`loginctl enable-linger $USER`), enable it with:" : "logging in to the desktop), load it with:",
          enableLater(platform, ctx),
          manualStartHelp(ctx),
          ""
        ].join("\n")
      )
      return 0
    case "failed":
      ctx.err(`hookctl service install: ${outcome.reason}\nThe service files are written; fix the problem and run \`hookctl service install\` again.\n`)
      return 1
  }
}

export const installService = async (platform: ServicePlatform, ctx: ServiceContext, dryRun: boolean): Promise<number> => {
  const steps = installSteps(platform, ctx)
  if (dryRun) {
    ctx.out("hookctl service install --dry-run: nothing is written or run.\n")
    printPlan(steps, ctx)
    return 0
  }
  // Probed before the service manager takes the socket path over: afterwards it would not answer.
  const earlier = await probeSupervisor(socketPath(ctx.env), ctx.installation.version)
  const code = reportInstall(platform, await applyPlan(steps, ctx), ctx)
  if (earlier.running) {
    ctx.out(
      `note: hookd (pid ${earlier.pid}) was already running. If it was started by hand or by hookctl rather than by the ` +
        "service manager, stop it with `hookctl shutdown` once its jobs are done, so the service's hookd takes over.\n"
    )
  }
  return code
}

export const uninstallService = async (platform: ServicePlatform, ctx: ServiceContext, dryRun: boolean): Promise<number> => {
  const files = serviceFiles(platform, ctx.env)
  const installed = files.filter((f) => existsSync(f))
  if (installed.length === 0) {
    ctx.out(`hookd's service is not installed (none of ${files.join(", ")} exists); nothing to do.\n`)
    return 0
  }
  const steps =
    platform === "linux"
      ? systemdUninstallSteps(installed, systemdUserDir(ctx.env))
      : launchdUninstallSteps(installed, launchdLogDir(ctx.env), ctx.uid)
  if (dryRun) {
    ctx.out("hookctl service uninstall --dry-run: nothing is removed or run.\n")
    printPlan(steps, ctx)
    return 0
  }
  const outcome = await applyPlan(steps, ctx)
  switch (outcome.kind) {
    case "done":
      ctx.out("hookd's service is uninstalled. A supervisor started by hand or by hookctl is not affected.\n")
      if (platform === "darwin" && existsSync(launchdLogDir(ctx.env))) ctx.out(`Its logs are kept in ${launchdLogDir(ctx.env)}.\n`)
      return 0
    case "no-manager":
      ctx.out(`No user service manager is reachable (${outcome.reason}); the service files are removed, nothing else was needed.\n`)
      return 0
    case "failed":
      ctx.err(`hookctl service uninstall: ${outcome.reason}\n`)
      return 1
  }
}
