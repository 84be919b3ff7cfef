// dist/hookd.mjs, the supervisor's entry (bin/hookd, the autostart, the user services all run it):
// the first stage (first-stage.ts) binds the socket and answers Hellos, then this runs the supervisor
// bundle dist/hookd.cjs through V8's code cache (code-cache.ts). Kept small and effect-free; builtins
// come through require (an ESM import of a builtin builds its whole namespace).
import { createRequire } from "node:module"
import { stateDir } from "../protocol/paths"
import { CODE_CACHE_FLAGS, codeCacheDir, codeCacheName, runBundleWithCodeCache, START_UP_FLAGS } from "./code-cache"
import { runFirstStage } from "./first-stage"
import { HOOKD_VERSION } from "./version"

/** sha256 of dist/hookd.cjs (16 hex), written in by src/tools/bundle.mjs. */
declare const __HOOKD_CORE_HASH__: string

const require = createRequire(import.meta.url)
const fs = require("node:fs") as typeof import("node:fs")
const { join } = require("node:path") as typeof import("node:path")

const bundle = (require("node:url") as typeof import("node:url")).fileURLToPath(new URL("./hookd.cjs", import.meta.url))
if (!fs.existsSync(bundle)) {
  process.stderr.write(`hookd: ${bundle} is missing; run \`npm run build\` in the hookd checkout\n`)
  process.exit(3)
}

const loadSupervisor = (): void => {
  // Before the bundle is compiled: V8 keys the code cache by its flags.
  const { setFlagsFromString } = require("node:v8") as typeof import("node:v8")
  for (const flag of [...CODE_CACHE_FLAGS, ...START_UP_FLAGS]) setFlagsFromString(flag)
  const cacheDir = codeCacheDir(fs, bundle, stateDir(process.env))
  const cachePath = cacheDir !== undefined ? join(cacheDir, codeCacheName("hookd.cjs", __HOOKD_CORE_HASH__, process.version, process.arch)) : undefined
  runBundleWithCodeCache({ fs, vm: require("node:vm"), bundle, bundleHash: __HOOKD_CORE_HASH__, cachePath, require: createRequire(bundle) })
}

runFirstStage({ argv: process.argv.slice(2), env: process.env, version: HOOKD_VERSION, load: loadSupervisor })
