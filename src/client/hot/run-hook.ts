// `hookctl run-hook`, what every shim runs, in a bundle of its own (dist/hookctl-run-hook.cjs):
// see hot/status.ts.
import { runHook } from "../commands/run-hook"
import { runCli, wholeClient } from "../run-cli"

runCli((cmd) => (cmd.kind === "run-hook" ? runHook(cmd) : undefined), wholeClient)
