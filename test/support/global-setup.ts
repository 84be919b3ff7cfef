// Builds the bundles once per test run: black-box tests drive dist/hookd.mjs and dist/hookctl.mjs.
import { execFileSync } from "node:child_process"
import { join } from "node:path"

export default function setup(): void {
  execFileSync(process.execPath, [join(__dirname, "..", "..", "src", "build", "bundle.mjs")], { stdio: "inherit" })
}
