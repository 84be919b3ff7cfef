// `hookctl ls` in a bundle of its own (dist/hookctl-ls.cjs): see hot/status.ts. It reads the
// common shapes of its command line (`ls`, --json, --all-repos, --failed, --limit N, --repo DIR)
// itself, without the argument parser; any other goes to the whole client.
import { readLsCommandLine, runLs } from "../commands/ls"
import { runCli, wholeClient, type Parse } from "../run-cli"

const parse: Parse = async (argv, cwd) => readLsCommandLine(argv, cwd)

runCli(parse, (cmd) => (cmd.kind === "ls" ? runLs(cmd) : undefined), wholeClient)
