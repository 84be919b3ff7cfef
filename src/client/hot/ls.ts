// `hookctl ls` in a bundle of its own (dist/hookctl-ls.cjs): see hot/status.ts.
import { runLs } from "../commands/ls"
import { parseWithCli, runCli, wholeClient } from "../run-cli"

runCli(parseWithCli, (cmd) => (cmd.kind === "ls" ? runLs(cmd) : undefined), wholeClient)
