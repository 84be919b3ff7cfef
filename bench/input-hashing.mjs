// Input-key cost (issue 11): computeInputKey for a glob matching 10,000 tracked files, in
// process, through the real src/inputs code (one `git ls-files` + hashing of the dirty matches).
// Figures are printed, never asserted. Usage: node bench/input-hashing.mjs
import { build } from "esbuild"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, realpathSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { median } from "./lib/timing.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
// Under this checkout's dist/ (ignored by git), so parallel checkouts never share a bundle.
const outDir = join(root, "dist", "bench")
mkdirSync(outDir, { recursive: true })
const outfile = join(outDir, "input-key.mjs")
await build({
  entryPoints: [join(root, "src/inputs/input-key.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning"
})
const { Effect } = await import(pathToFileURL(join(root, "node_modules/effect/dist/esm/index.js")).href)
const { computeInputKey } = await import(pathToFileURL(outfile).href)

const FILES = 10_000
const PER_DIR = 100
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const DIRTY = 100

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@example.invalid", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@example.invalid" }
const git = (cwd, ...args) => execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 })

const anHourAgo = new Date(Date.now() - 3_600_000)
const dir = realpathSync(mkdtempSync(join(tmpdir(), "hookd-bench-inputs-")))
try {
  git(dir, "init", "-q", "-b", "main")
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, "proto", `d${String(Math.floor(i / PER_DIR)).padStart(3, "0")}`)
    if (i % PER_DIR === 0) mkdirSync(sub, { recursive: true })
    writeFileSync(join(sub, `f${i}.proto`), `message M${i} { int32 x = 1; }\n`)
    // Older than the index git is about to write: its stat data then vouches for the file (no
    // "racily clean" entries, whose contents git would compare on every listing).
    utimesSync(join(sub, `f${i}.proto`), anHourAgo, anHourAgo)
  }
  writeFileSync(join(dir, "README"), "not an input\n")
  git(dir, "add", "-A")
  git(dir, "commit", "-q", "-m", "10k files")

  const spec = { name: "gen", run: "protoc …", background: true, inputs: { files: ["**/*.proto"], env: [] } }
  const keyOnce = () => {
    const ctx = { worktree: dir, gitEnv: env, jobEnv: () => undefined, hashed: new Map(), listed: new Map() }
    const start = performance.now()
    return Effect.runPromise(computeInputKey(ctx, spec)).then((result) => {
      if ("failure" in result) throw new Error(result.failure)
      return performance.now() - start
    })
  }
  const timed = async () => {
    const samples = []
    for (let i = 0; i < RUNS + 2; i++) {
      const ms = await keyOnce()
      if (i >= 2) samples.push(ms)
    }
    return median(samples)
  }
  const gitAlone = () => {
    const samples = []
    for (let i = 0; i < RUNS + 2; i++) {
      const start = performance.now()
      git(dir, "ls-files", "-z", "-t", "-s", "-m", "-o", "--exclude-standard", "--", ":(glob)**/*.proto")
      if (i >= 2) samples.push(performance.now() - start)
    }
    return median(samples)
  }

  const row = (label, value) => console.log(`${label.padEnd(58)} ${value}`)
  row(`input key, "**/*.proto" over ${FILES.toLocaleString("en")} clean tracked files`, `${(await timed()).toFixed(1)} ms`)
  row("  of which git ls-files -t -s -m -o (one run, alone)", `${gitAlone().toFixed(1)} ms`)
  // As after a checkout that rewrote every file in the same second as the index: the stat data
  // no longer vouches, so git compares each file's content (hookd still hashes none of them).
  const now = new Date()
  for (let i = 0; i < FILES; i++) {
    utimesSync(join(dir, "proto", `d${String(Math.floor(i / PER_DIR)).padStart(3, "0")}`, `f${i}.proto`), now, now)
  }
  row("  same, every file's mtime changed (git re-reads, still clean)", `${(await timed()).toFixed(1)} ms`)
  for (let i = 0; i < DIRTY; i++) {
    writeFileSync(join(dir, "proto", "d000", `f${i}.proto`), `message Changed${i} {}\n`)
    writeFileSync(join(dir, "proto", "d001", `new${i}.proto`), `message New${i} {}\n`)
  }
  row(`  same, ${DIRTY} modified + ${DIRTY} untracked matches (hashed)`, `${(await timed()).toFixed(1)} ms`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
