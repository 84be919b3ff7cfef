// Where this installation of hookd lives, so the service files can name it by absolute path.
// The same code runs bundled (dist/hookctl.cjs) and from source under vitest (src/service/*.ts):
// walking up to the directory that holds package.json and bin/hookd works for both.
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export interface Installation {
  /** The package root: holds package.json, bin/, systemd/ and launchd/. */
  readonly root: string
  /** The node binary that runs hookd (the one running us now). */
  readonly node: string
  /** `<root>/bin/hookd`. */
  readonly hookd: string
  /** package.json's version, sent as client_version when probing the supervisor. */
  readonly version: string
}

export class InstallationNotFoundError extends Error {}

/** The nearest ancestor of `start` (itself included) holding package.json and bin/hookd. */
export const findPackageRoot = (start: string): string => {
  let dir = resolve(start)
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "bin", "hookd"))) return dir
    const parent = dirname(dir)
    if (parent === dir) {
      throw new InstallationNotFoundError(`cannot find hookd's package root (package.json beside bin/hookd) above ${start}`)
    }
    dir = parent
  }
}

const readVersion = (root: string): string => {
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown }
    return typeof pkg.version === "string" ? pkg.version : "0.0.0"
  } catch {
    return "0.0.0"
  }
}

export const locateInstallation = (moduleUrl: string = import.meta.url, node: string = process.execPath): Installation => {
  const root = findPackageRoot(dirname(fileURLToPath(moduleUrl)))
  return { root, node, hookd: join(root, "bin", "hookd"), version: readVersion(root) }
}
