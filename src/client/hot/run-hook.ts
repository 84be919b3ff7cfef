// `hookctl run-hook`, what every shim runs, in a bundle of its own (dist/hookctl-run-hook.cjs):
// see hot/status.ts.
import { runHook } from "../commands/run-hook"
import { parseWithCli, runCli, wholeClient } from "../run-cli"

runCli(parseWithCli, (cmd) => (cmd.kind === "run-hook" ? runHook(cmd) : undefined), wholeClient)
