// Store: a process that exits with a database open (process.exit, uncaught exception) must not
// leave `<db>.lock` behind — otherwise the next supervisor could not open the repo.
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { join } from "node:path"
import { beforeAll } from "vitest"
import { openRepoStore } from "../../src/store/open"
import { freshDbPath, useTempDirs } from "./helpers"

useTempDirs()

const root = join(import.meta.dirname, "..", "..")
// Under this checkout's dist/ so the bundle's external `node-sqlite3-wasm` resolves (node_modules is
// found walking up) and its migrations are this checkout's schema/ (node_modules may be a symlink
// into another checkout whose migrations differ).
const childScript = join(root, "dist", "test-cache", "exit-with-open-store.mjs")

beforeAll(async () => {
  mkdirSync(join(childScript, ".."), { recursive: true })
  await build({
    entryPoints: [join(import.meta.dirname, "fixtures", "exit-with-open-store.ts")],
    outfile: childScript,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["node-sqlite3-wasm"],
    logLevel: "error"
  })
})

const runChild = (dbPath: string, how: "exit" | "throw") =>
  spawnSync(process.execPath, [childScript, dbPath, how], { encoding: "utf8", timeout: 20_000 })

describe("Store: exit hook", () => {
  it.each(["exit", "throw"] as const)("after %s with the store open, no .lock remains and the db reopens", (how) =>
    Effect.runPromise(Effect.gen(function* () {
      const dbPath = freshDbPath()
      const child = runChild(dbPath, how)
      expect(child.stdout).toContain("open")
      expect(child.status).toBe(how === "exit" ? 0 : 1)
      expect(existsSync(`${dbPath}.lock`)).toBe(false)
      yield* Effect.scoped(openRepoStore({ dbPath, repoId: "0123456789abcdef", root: "/r" }))
    })))
})
