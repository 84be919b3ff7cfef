// Bundles the two programs with esbuild. Bundling is what makes `hookctl` and
// the supervisor start fast (NOTES.md: unbundled effect costs ~0.5–1 s).
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const schemaOnly = process.argv.includes("--schema-only")
/** hookctl's bundle: CommonJS (see clientOptions). */
const CLIENT_BUNDLE = "dist/hookctl.cjs"

// esbuild is a devDependency. `prepare` runs this with --if-esbuild: on a fresh clone (esbuild
// installed) it builds; where esbuild is absent (an install with --omit=dev) it keeps the shipped
// dist/ instead of failing the install. `npm run build` and `prepack` insist on a real build.
const esbuild = await import("esbuild").catch(() => undefined)
if (esbuild === undefined) {
  const shipped = ["dist/hookd.mjs", CLIENT_BUNDLE].every((f) => existsSync(join(root, f)))
  if (process.argv.includes("--if-esbuild") && shipped) {
    process.stderr.write("hookd: esbuild is not installed; keeping the bundles already in dist/\n")
    process.exit(0)
  }
  process.stderr.write("hookd: cannot build dist/: esbuild is not installed (it is a devDependency: run `npm install` in the hookd checkout)\n")
  process.exit(1)
}
const { build } = esbuild

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

/**
 * hookctl is a CommonJS bundle, required by a CommonJS bin/hookctl: node's ESM loader alone costs
 * ~4 ms of every command (0.18× of `node -e 0`, issue 13's client rows), and CommonJS needs no
 * `require` banner. `import.meta.url` (install paths, the service installer) becomes the bundle's
 * file URL, computed only when read; builtins are plain `require`s whose properties are read on use.
 */
const clientOptions = {
  ...common,
  format: "cjs",
  banner: { js: 'var __hookctlImportMeta = { get url() { return require("node:url").pathToFileURL(__filename).href } };' },
  define: { ...common.define, "import.meta.url": "__hookctlImportMeta.url" }
}

const entries = schemaOnly
  ? [["src/tools/generate-json-schema.ts", "dist/gen-schema.mjs"]]
  : [
      ["src/supervisor/main.ts", "dist/hookd.mjs"],
      ["src/client/main.ts", CLIENT_BUNDLE],
      ["src/tools/generate-json-schema.ts", "dist/gen-schema.mjs"]
    ]

await Promise.all(
  entries.map(([entry, out]) =>
    build({
      ...(out === CLIENT_BUNDLE ? clientOptions : common),
      entryPoints: [join(root, entry)],
      outfile: join(root, out)
    })
  )
)
for (const [, out] of entries) chmodSync(join(root, out), 0o755)
// The ESM client bundle of earlier builds: nothing loads it any more.
if (!schemaOnly) for (const stale of ["dist/hookctl.mjs", "dist/hookctl.mjs.map"]) rmSync(join(root, stale), { force: true })
