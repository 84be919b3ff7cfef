// Bundles the two programs with esbuild. Bundling is what makes `hookctl` and
// the supervisor start fast (NOTES.md: unbundled effect costs ~0.5–1 s).
import { createHash } from "node:crypto"
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const schemaOnly = process.argv.includes("--schema-only")
/** hookctl's bundle: CommonJS (see clientOptions). */
const CLIENT_BUNDLE = "dist/hookctl.cjs"
/**
 * The hot commands' own bundles (src/client/hot/), which bin/hookctl loads for them instead of the
 * whole client: each carries its command alone (status: ~45 of 185 KB), so a run reads and
 * deserializes that much less bundle and code cache (issue 13: hookctl status/ls, every hook).
 */
const HOT_CLIENT_BUNDLES = ["status", "ls", "run-hook"].map((command) => [`src/client/hot/${command}.ts`, `dist/hookctl-${command}.cjs`])
const isClientBundle = (out) => out === CLIENT_BUNDLE || HOT_CLIENT_BUNDLES.some(([, hot]) => hot === out)

// esbuild is a devDependency. `prepare` runs this with --if-esbuild: on a fresh clone (esbuild
// installed) it builds; where esbuild is absent (an install with --omit=dev) it keeps the shipped
// dist/ instead of failing the install. `npm run build` and `prepack` insist on a real build.
const esbuild = await import("esbuild").catch(() => undefined)
if (esbuild === undefined) {
  const shipped = ["dist/hookd.mjs", "dist/hookd.cjs", CLIENT_BUNDLE].every((f) => existsSync(join(root, f)))
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
      // The YAML parse of a big config runs in a worker thread from this file (config/parse-off-thread.ts).
      ["src/config/parse-worker.ts", "dist/yaml-worker.mjs"],
      ["src/client/main.ts", CLIENT_BUNDLE],
      ...HOT_CLIENT_BUNDLES,
      ["src/tools/generate-json-schema.ts", "dist/gen-schema.mjs"]
    ]

/**
 * The supervisor is two files: dist/hookd.cjs, the supervisor itself as CommonJS (V8 can cache the
 * code of a script it compiles through node:vm, not of an ES module: src/supervisor/code-cache.ts),
 * and dist/hookd.mjs, the small entry that loads it with that cache, told the bundle's hash.
 */
const buildSupervisor = async () => {
  await build({
    ...common,
    format: "cjs",
    entryPoints: [join(root, "src/supervisor/main.ts")],
    outfile: join(root, "dist/hookd.cjs"),
    // Whitespace and syntax only (names stay, for the stack traces in hookd.log): 2.0 → 1.4 MB of
    // source for V8 to hash, keep and lazily compile (start and RSS figures in the commit).
    minifyWhitespace: true,
    minifySyntax: true,
    // CommonJS has a real require; import.meta.url (the store finds its migrations and
    // node-sqlite3-wasm from it) becomes the bundle's own file URL.
    banner: { js: 'var __hookdImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { ...common.define, "import.meta.url": "__hookdImportMetaUrl" }
  })
  const hash = createHash("sha256").update(readFileSync(join(root, "dist/hookd.cjs"))).digest("hex").slice(0, 16)
  await build({
    ...common,
    entryPoints: [join(root, "src/supervisor/loader.ts")],
    outfile: join(root, "dist/hookd.mjs"),
    sourcemap: false,
    banner: {},
    define: { ...common.define, __HOOKD_CORE_HASH__: JSON.stringify(hash) }
  })
}

await Promise.all([
  ...entries.map(([entry, out]) =>
    build({
      ...(isClientBundle(out) ? clientOptions : common),
      entryPoints: [join(root, entry)],
      outfile: join(root, out)
    })
  ),
  ...(schemaOnly ? [] : [buildSupervisor()])
])
for (const [, out] of entries) chmodSync(join(root, out), 0o755)
if (!schemaOnly) chmodSync(join(root, "dist/hookd.mjs"), 0o755)
// The ESM client bundle of earlier builds and the supervisor's old map: nothing loads them any more.
if (!schemaOnly) for (const stale of ["dist/hookctl.mjs", "dist/hookctl.mjs.map", "dist/hookd.mjs.map"]) rmSync(join(root, stale), { force: true })
