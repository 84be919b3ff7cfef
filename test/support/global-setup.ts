// Builds the bundles once per test run: black-box tests drive dist/hookd.mjs and dist/hookctl.cjs.
// A failed build is reported but does not stop unit tests; the black-box tests then fail on their own.
import { execFileSync } from "node:child_process"
import { join } from "node:path"

export default function setup(): void {
  try {
    execFileSync(process.execPath, [join(__dirname, "..", "..", "src", "tools", "bundle.mjs")], { stdio: "inherit" })
  } catch {
    process.stderr.write("\n[global-setup] the bundle build failed; black-box tests will fail\n\n")
  }
}
