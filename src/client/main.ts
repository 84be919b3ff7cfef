// hookctl: the thin client (SPEC §10). argv → one request → human or script output → exit code.
// Nothing reachable from here may import `effect` (a test inspects the bundle's import graph).
//
// Startup is most of a hookctl run, so each command's module is imported when it runs: bundled
// into one file, esbuild turns these imports into lazy initialisers, so a command evaluates only
// its own modules (and node's child_process and crypto load only where they are used).
import type { Command } from "./cli"
import { EXIT_OK } from "./errors"
import { out } from "./output"
import { parseWithCli, runCli } from "./run-cli"
import { HOOKCTL_VERSION } from "./version"

const execute = async (cmd: Command): Promise<number> => {
  switch (cmd.kind) {
    case "help":
      // Bare `hookctl` is a usage error that deserves the whole help, on stderr.
      if (cmd.exitCode !== undefined) {
        process.stderr.write(cmd.text + "\n")
        return cmd.exitCode
      }
      await out(cmd.text + "\n")
      return EXIT_OK
    case "version":
      await out(HOOKCTL_VERSION + "\n")
      return EXIT_OK
    case "completion":
      await out((await import("./completion")).completionScript(cmd.shell))
      return EXIT_OK
    case "status":
      return (await import("./commands/status")).runStatus(cmd)
    case "ls":
      return (await import("./commands/ls")).runLs(cmd)
    case "logs":
      return (await import("./commands/logs")).runLogs(cmd)
    case "wait":
      return (await import("./commands/wait")).runWait(cmd)
    case "show":
      return (await import("./commands/show")).runShow(cmd)
    case "cancel":
      return (await import("./commands/unary")).runCancel(cmd)
    case "retry":
      return (await import("./commands/unary")).runRetry(cmd)
    case "prune":
      return (await import("./commands/unary")).runPrune(cmd)
    case "run-hook":
      return (await import("./commands/run-hook")).runHook(cmd)
    case "hooks":
      return (await import("./commands/hooks")).runHooks(cmd)
    case "shutdown":
      return (await import("./commands/unary")).runShutdown()
    case "service":
      // Loaded only for this command: the service installer is not on the hot path.
      return (await import("../service/cli")).runServiceCommand(cmd.args)
  }
}

runCli(parseWithCli, execute, () => {
  throw new Error("the whole client runs every command")
})
