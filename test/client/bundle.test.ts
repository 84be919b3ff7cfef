// The client must never load `effect` (SPEC §10: startup cost). Checked on the bundle's import
// graph: nothing reachable from main.ts may come from effect or @effect/*, except through the
// lazily imported `hookctl service` module, which is allowed to (it is off the hot path).
// Also: yaml stays out of the bundle (startup cost).
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { build, type Metafile } from "esbuild"
import { beforeAll, describe, expect, it } from "vitest"
import { ROOT, clientBundleGraph } from "./support"

const isEffect = (path: string) => /node_modules\/(effect|@effect\/[^/]+)\//.test(path)
const ENTRY = "src/client/main.ts"
const LAZY_SERVICE = "src/service/cli.ts"

/** Inputs reachable from the entry by imports, not following the lazy service import. */
const reachableOnClientPath = (meta: Metafile, entry: string = ENTRY): Set<string> => {
  const seen = new Set<string>()
  const stack = [entry]
  while (stack.length > 0) {
    const path = stack.pop() as string
    if (seen.has(path)) continue
    seen.add(path)
    for (const imp of meta.inputs[path]?.imports ?? []) {
      if (imp.external) continue
      if (imp.kind === "dynamic-import" && imp.path === LAZY_SERVICE) continue
      stack.push(imp.path)
    }
  }
  return seen
}

describe("the hookctl bundle", () => {
  let meta: Metafile
  beforeAll(async () => {
    meta = await clientBundleGraph()
  })

  it("reaches the client's own modules (the graph walk is real)", () => {
    const reached = reachableOnClientPath(meta)
    expect(reached).toContain("src/client/connection.ts")
    expect(reached).toContain("src/protocol/framing.ts")
    // The protocol types come from the effect schemas through `import type`: erased, never loaded.
    expect(reached).toContain("src/protocol/types.ts")
    expect(reached).not.toContain("src/protocol/schemas.ts")
  })

  it("would see effect if a client module loaded the schemas (the check can fail)", async () => {
    // The same walk and the same test, over a bundle whose entry imports the schemas for real.
    const { metafile } = await build({
      stdin: { contents: 'import "./src/protocol/schemas"', resolveDir: ROOT, sourcefile: "probe.ts", loader: "ts" },
      bundle: true,
      write: false,
      platform: "node",
      format: "esm",
      logLevel: "error",
      metafile: true
    })
    const reached = reachableOnClientPath(metafile, "probe.ts")
    expect(reached).toContain("src/protocol/schemas.ts")
    expect([...reached].filter(isEffect).length).toBeGreaterThan(10)
  })

  it("includes no effect or @effect module on the client path", () => {
    const offenders = [...reachableOnClientPath(meta)].filter(isEffect)
    expect(offenders).toEqual([])
  })

  it("imports the service command lazily, and leaves yaml to be resolved at run time", () => {
    const main = meta.inputs[ENTRY].imports.find((i) => i.path === LAZY_SERVICE)
    expect(main?.kind).toBe("dynamic-import")
    // yaml is needed only by `hooks install` and an unreachable run-hook (exercised in
    // shims.test.ts / unreachable.test.ts); bundling it would slow every command's startup.
    expect(Object.keys(meta.inputs).filter((p) => p.includes("node_modules/yaml/"))).toEqual([])
  })

  it("has no import() in dist/hookctl.cjs: bin/hookctl runs it from a vm.Script (code cache), where import() has no loader", () => {
    const bundle = readFileSync(join(ROOT, "dist", "hookctl.cjs"), "utf8")
    expect(bundle).toContain("hookd shim v1") // it is the client bundle
    expect(bundle.match(/(?<![\w$.])import\s*\(/g) ?? []).toEqual([])
  })

  it.each(["status", "ls", "run-hook"])("the %s bundle reaches only client modules free of effect, and has no import()", async (command) => {
    const { metafile } = await build({
      entryPoints: [join(ROOT, "src", "client", "hot", `${command}.ts`)],
      write: false,
      bundle: true,
      platform: "node",
      format: "cjs",
      logLevel: "error",
      external: ["node-sqlite3-wasm"],
      define: { "import.meta.url": "__hookctlImportMeta.url" },
      metafile: true,
      outdir: "out"
    })
    const reached = reachableOnClientPath(metafile, `src/client/hot/${command}.ts`)
    expect(reached).toContain("src/client/run-cli.ts")
    expect([...reached].filter(isEffect)).toEqual([])
    // It carries its command, not the whole client (the point of a bundle of its own).
    expect(reached).not.toContain("src/client/commands/hooks.ts")
    expect(reached).not.toContain("src/client/completion.ts")
    // Each reads its own command line (read*CommandLine): the parser is not in its output (run-cli.ts
    // names it for the whole client, so the import graph still does).
    const output = Object.values(metafile.outputs)[0]!
    expect(Object.keys(output.inputs)).not.toContain("src/client/cli.ts")
    const bundle = readFileSync(join(ROOT, "dist", `hookctl-${command}.cjs`), "utf8")
    expect(bundle.match(/(?<![\w$.])import\s*\(/g) ?? []).toEqual([])
  })

  it("a hot bundle given another command hands it to the whole client", () => {
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version
    const r = spawnSync(process.execPath, [join(ROOT, "dist", "hookctl-status.cjs"), "--version"], { encoding: "utf8" })
    expect(r.stderr).toBe("")
    expect(r.stdout).toBe(`${version}\n`)
    const help = spawnSync(process.execPath, [join(ROOT, "dist", "hookctl-ls.cjs"), "help", "status"], { encoding: "utf8" })
    expect(help.stdout).toContain("usage: hookctl status")
  })

  it("writes a dist/hookctl.cjs with no effect code when no input needs it", () => {
    const bundle = readFileSync(join(ROOT, "dist", "hookctl.cjs"), "utf8")
    expect(bundle).toContain("hookd shim v1") // it is the client bundle
    if (Object.keys(meta.inputs).some(isEffect)) {
      // Only the lazily loaded service module may have brought effect in.
      expect([...reachableOnClientPath(meta)].filter(isEffect)).toEqual([])
    } else {
      expect(bundle).not.toMatch(/node_modules\/(effect|@effect)\//)
    }
  })
})
