// `hookctl service install|uninstall|status [--dry-run]`. Runs inside hookctl, which must start
// fast: Node built-ins and src/protocol only, never `effect`.
import { processContext, type ServiceContext } from "./context"
import { installService, manualStartHelp, uninstallService } from "./install"
import { serviceStatus } from "./status"
import { choosePlatform } from "./targets"

export const SERVICE_USAGE = `usage: hookctl service install [--dry-run]    write the user service files and enable them
       hookctl service uninstall [--dry-run]  disable the service and remove its files
       hookctl service status                 installed files, service manager state, running supervisor
Linux: systemd user units in $XDG_CONFIG_HOME/systemd/user (socket-activated).
macOS: a LaunchAgent in ~/Library/LaunchAgents.
`

type Action = "install" | "uninstall" | "status"

type Parsed =
  | { readonly ok: true; readonly action: Action; readonly dryRun: boolean }
  | { readonly ok: true; readonly help: true }
  | { readonly ok: false; readonly message: string }

export const parseServiceArgs = (args: ReadonlyArray<string>): Parsed => {
  if (args.includes("--help") || args.includes("-h")) return { ok: true, help: true }
  const positional = args.filter((a) => !a.startsWith("-"))
  const flags = args.filter((a) => a.startsWith("-"))
  const unknown = flags.filter((f) => f !== "--dry-run")
  if (unknown.length > 0) return { ok: false, message: `unknown option ${unknown[0]}` }
  if (positional.length === 0) return { ok: false, message: "missing action (install, uninstall or status)" }
  if (positional.length > 1) return { ok: false, message: `unexpected argument ${positional[1]}` }
  const action = positional[0]
  if (action !== "install" && action !== "uninstall" && action !== "status") {
    return { ok: false, message: `unknown action ${action}` }
  }
  const dryRun = flags.includes("--dry-run")
  if (dryRun && action === "status") return { ok: false, message: "--dry-run applies to install and uninstall" }
  return { ok: true, action, dryRun }
}

/** The same as runServiceCommand, against an explicit context (tests: temp HOME, stand-in tools). */
export const runService = async (args: ReadonlyArray<string>, ctx: ServiceContext): Promise<number> => {
  const parsed = parseServiceArgs(args)
  if (!parsed.ok) {
    ctx.err(`hookctl service: ${parsed.message}\n${SERVICE_USAGE}`)
    return 2
  }
  if ("help" in parsed) {
    ctx.out(SERVICE_USAGE)
    return 0
  }
  const choice = choosePlatform(ctx.env, ctx.platform)
  if (!choice.ok) {
    ctx.err(`hookctl service: ${choice.message}\n${choice.usage ? "" : `${manualStartHelp(ctx)}\n`}`)
    return choice.usage ? 2 : 1
  }
  try {
    switch (parsed.action) {
      case "install":
        return await installService(choice.platform, ctx, parsed.dryRun)
      case "uninstall":
        return await uninstallService(choice.platform, ctx, parsed.dryRun)
      case "status":
        return await serviceStatus(choice.platform, ctx)
    }
  } catch (e) {
    // File-system trouble (permissions, a missing template): say what and where, no stack.
    ctx.err(`hookctl service ${parsed.action}: ${(e as Error).message}\n`)
    return 1
  }
}

/** `hookctl service …` calls this with the arguments after `service`; resolves to the exit code. */
export const runServiceCommand = async (args: ReadonlyArray<string>): Promise<number> => {
  let ctx: ServiceContext
  try {
    ctx = processContext()
  } catch (e) {
    process.stderr.write(`hookctl service: ${(e as Error).message}\n`)
    return 1
  }
  return runService(args, ctx)
}
