// Bundles the two programs with esbuild. Bundling is what makes `hookctl` and
// the supervisor start fast (NOTES.md: unbundled effect costs ~0.5–1 s).
import { build } from "esbuild"
import { chmodSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const schemaOnly = process.argv.includes("--schema-only")

// `ws` (pulled in by @effect/platform-node) is CommonJS: an ESM bundle needs a real `require`.
const requireBanner =
  "import { createRequire as __hookdCreateRequire } from 'node:module'; const require = __hookdCreateRequire(import.meta.url);"

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  // node-sqlite3-wasm loads its .wasm file next to its own module: keep it external.
  external: ["node-sqlite3-wasm"],
  banner: { js: requireBanner },
  define: { __HOOKD_VERSION__: JSON.stringify(version) }
}

const entries = schemaOnly
  ? [["src/tools/generate-json-schema.ts", "dist/gen-schema.mjs"]]
  : [
      ["src/supervisor/main.ts", "dist/hookd.mjs"],
      ["src/client/main.ts", "dist/hookctl.mjs"],
      ["src/tools/generate-json-schema.ts", "dist/gen-schema.mjs"]
    ]

await Promise.all(
  entries.map(([entry, out]) =>
    build({ ...common, entryPoints: [join(root, entry)], outfile: join(root, out) })
  )
)
for (const [, out] of entries) chmodSync(join(root, out), 0o755)
