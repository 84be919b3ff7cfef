// `hookctl run-hook`, what every shim runs, in a bundle of its own (dist/hookctl-run-hook.cjs): see
// hot/status.ts. It reads the shims' own command line (`run-hook <hook> -- <git's arguments>`)
// itself, without the argument parser; any other shape goes to the whole client.
import { readShimCommandLine, runHook } from "../commands/run-hook"
import { runCli, wholeClient, type Parse } from "../run-cli"

const parse: Parse = async (argv, cwd) => readShimCommandLine(argv, cwd)

runCli(parse, (cmd) => (cmd.kind === "run-hook" ? runHook(cmd) : undefined), wholeClient)
