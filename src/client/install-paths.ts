// Where this installation's files are. The same code runs bundled (dist/hookctl.cjs) and from
// source under vitest (src/client/*.ts), so look in both places relative to this module.
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

/** The package root: the directory holding bin/hookctl (dist/.. when bundled, src/client/../.. from source). */
export const installRoot = (): string => {
  // Worked out on use (autostart, hooks install), not when the module loads with every command.
  const here = dirname(fileURLToPath(import.meta.url))
  for (const candidate of [resolve(here, ".."), resolve(here, "..", "..")]) {
    if (existsSync(join(candidate, "bin", "hookctl")) && existsSync(join(candidate, "package.json"))) return candidate
  }
  return resolve(here, "..")
}

export const hookdBundlePath = (): string => join(installRoot(), "dist", "hookd.mjs")
export const hookctlBinPath = (): string => join(installRoot(), "bin", "hookctl")
