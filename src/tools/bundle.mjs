// Bundles the two programs with esbuild. Bundling is what makes `hookctl` and
// the supervisor start fast (NOTES.md: unbundled effect costs ~0.5–1 s).
import { chmodSync, existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const schemaOnly = process.argv.includes("--schema-only")

// esbuild is a devDependency. `prepare` runs this with --if-esbuild: on a fresh clone (esbuild
// installed) it builds; where esbuild is absent (an install with --omit=dev) it keeps the shipped
// dist/ instead of failing the install. `npm run build` and `prepack` insist on a real build.
const esbuild = await import("esbuild").catch(() => undefined)
if (esbuild === undefined) {
  const shipped = ["dist/hookd.mjs", "dist/hookctl.mjs"].every((f) => existsSync(join(root, f)))
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
 * hookctl's node builtins through `require` (the banner's createRequire) instead of ESM imports:
 * an ESM import of a builtin builds its module namespace, which reads every export — `node:fs`
 * then loads fs/promises, streams and readline, a few ms of every command's startup (issue 13).
 * esbuild's CommonJS interop reads properties only when the code uses them.
 */
const requireBuiltins = {
  name: "require-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "require-call" || args.namespace === "builtin" ? { path: args.path, external: true } : { path: args.path, namespace: "builtin" }
    )
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: "js" }))
  }
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
    build({
      ...common,
      entryPoints: [join(root, entry)],
      outfile: join(root, out),
      ...(out === "dist/hookctl.mjs" && { plugins: [requireBuiltins] })
    })
  )
)
for (const [, out] of entries) chmodSync(join(root, out), 0o755)
