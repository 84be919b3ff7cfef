// The yaml package for the two hookctl paths that need it (`ls --format yaml`, a hook's config read
// without a supervisor), resolved from node_modules at run time instead of bundled: parsing the
// bundled yaml (~200 KB) would cost every command start-up time. Through require, not import(): in
// the CommonJS bundle an import() would start node's ESM loader (~4 ms) for one package, and
// bin/hookctl runs the bundle from a vm.Script (code cache), where import() has no loader at all.
import { createRequire } from "node:module"

export const loadYaml = (): typeof import("yaml") => createRequire(import.meta.url)("yaml") as typeof import("yaml")
