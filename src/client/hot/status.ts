// `hookctl status` in a bundle of its own (dist/hookctl-status.cjs), which bin/hookctl loads for
// it instead of the whole client: most of a command's start-up is reading and deserializing its
// bundle and code cache, and this one carries status alone (issue 13) — not even the argument
// parser: `status`, `status --json` and `--repo DIR` are read here, anything else (help, a typo,
// another flag) goes to the whole client, which reads it as always.
import { readStatusCommandLine, runStatus } from "../commands/status"
import { runCli, wholeClient, type Parse } from "../run-cli"

const parse: Parse = async (argv, cwd) => readStatusCommandLine(argv, cwd)

runCli(parse, (cmd) => (cmd.kind === "status" ? runStatus(cmd) : undefined), wholeClient)
