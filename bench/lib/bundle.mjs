// Bundles a piece of src/ for a benchmark and imports it: .mjs files cannot import the TypeScript source.
// The bundles go inside node_modules so that an external package (node-sqlite3-wasm) resolves from them.
import { build } from "esbuild"
import { mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const OUT_DIR = join(ROOT, "node_modules", ".cache", "hookd-bench")

/**
 * Bundles `input` — esbuild's `{ entryPoints }` or `{ stdin }`, paths relative to `root` (this
 * checkout's, or another's to measure its src/) — into the bench cache; returns the file.
 */
export const bundleTo = async (name, input, root = ROOT) => {
  mkdirSync(OUT_DIR, { recursive: true })
  const outfile = join(OUT_DIR, `${name}.mjs`)
  await build({
    ...input,
    absWorkingDir: root,
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["node-sqlite3-wasm"],
    logLevel: "warning"
  })
  return outfile
}

/** `input` is esbuild's `{ entryPoints }` or `{ stdin }` (with paths relative to the repository root). */
export const importBundled = async (name, input) => import(pathToFileURL(await bundleTo(name, input)).href)
