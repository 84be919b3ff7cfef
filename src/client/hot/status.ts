// `hookctl status` in a bundle of its own (dist/hookctl-status.cjs), which bin/hookctl loads for
// it instead of the whole client: most of a command's start-up is reading and deserializing its
// bundle and code cache, and this one carries status alone (issue 13).
import { runStatus } from "../commands/status"
import { runCli, wholeClient } from "../run-cli"

runCli((cmd) => (cmd.kind === "status" ? runStatus(cmd) : undefined), wholeClient)
