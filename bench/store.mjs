// Store micro-benchmark: job writes in transactions and point reads through the real RepoStore
// (Effect wrappers included). Not run in tests. Usage: node bench/store.mjs
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { importBundled, ROOT } from "./lib/bundle.mjs"

const { Effect, ...store } = await importBundled("store", {
  stdin: { contents: `export * from "./src/store/index"\nexport * as Effect from "effect/Effect"`, resolveDir: ".", loader: "ts" }
})

const N = 1000
const JOBS_PER_INVOCATION = 10
const state = mkdtempSync(join(tmpdir(), "hookd-bench-store-"))
const dbPath = join(state, "repos", "0123456789abcdef", "coordinator.db")

const job = (invocation_id, name) => ({
  invocation_id, name, hook: "post-checkout", worktree: "/repo", command: "npm install", cwd: null,
  env: { PATH: "/usr/bin", HOME: "/home/u", GH_TOKEN: "x" }, needs: [], tags: ["deps"], background: true,
  status: "queued", exit_code: null, signal: null, pid: null, pgid: null, proc_start: null, queued_at: Date.now(),
  started_at: null, finished_at: null, timeout_ms: 300000, retention_secs: null, sampling_every_nth: null,
  max_log_bytes: null, log_bytes: 0, skip_reason: null, error: null
})
const invId = (i) => i.toString(16).padStart(16, "0")

const timed = (label, count, effect) =>
  Effect.gen(function* () {
    const start = performance.now()
    yield* effect
    const ms = performance.now() - start
    console.log(`${label.padEnd(44)} ${String(count).padStart(5)} ops  ${(ms * 1000 / count).toFixed(1).padStart(8)} µs/op`)
  })

const program = Effect.gen(function* () {
  const migrations = yield* store.loadMigrations(join(ROOT, "schema", "migrations"))
  const openStart = performance.now()
  const s = yield* store.openRepoStore({ dbPath, repoId: "0123456789abcdef", root: "/repo", migrations })
  console.log(`open + bring-up + migrate (fresh db)            ${(performance.now() - openStart).toFixed(1)} ms`)
  const invocations = N / JOBS_PER_INVOCATION
  yield* timed(`insert jobs (${JOBS_PER_INVOCATION} per invocation transaction)`, N,
    Effect.forEach(Array.from({ length: invocations }, (_, i) => i), (i) =>
      s.insertInvocation(
        { invocation_id: invId(i), hook: "post-checkout", worktree: "/repo", args: [], created_at: Date.now() + i,
          status: "running", supervisor_pid: process.pid },
        Array.from({ length: JOBS_PER_INVOCATION }, (_, j) => job(invId(i), `job-${j}`))),
      { discard: true }))
  yield* timed("updateJob (one transaction each)", N,
    Effect.forEach(Array.from({ length: N }, (_, k) => k), (k) =>
      s.updateJob(invId(k % invocations), `job-${k % JOBS_PER_INVOCATION}`,
        { status: "running", pid: 1000 + k, started_at: Date.now() }),
      { discard: true }))
  yield* timed("updateJobs (10 patches per transaction)", N,
    Effect.forEach(Array.from({ length: invocations }, (_, i) => i), (i) =>
      s.updateJobs(Array.from({ length: JOBS_PER_INVOCATION }, (_, j) => ({
        invocationId: invId(i), name: `job-${j}`, patch: { status: "completed", exit_code: 0, finished_at: Date.now() }
      }))),
      { discard: true }))
  yield* timed("getJob (point read)", N,
    Effect.forEach(Array.from({ length: N }, (_, k) => k), (k) =>
      s.getJob(invId(k % invocations), `job-${k % JOBS_PER_INVOCATION}`), { discard: true }))
  yield* timed("listJobs({ limit: 50 })", 100,
    Effect.forEach(Array.from({ length: 100 }), () => s.listJobs({ limit: 50 }), { discard: true }))
  const closeStart = performance.now()
  return closeStart
})

try {
  const closeStart = await Effect.runPromise(Effect.scoped(program))
  console.log(`close (checkpoint + finalize)                   ${(performance.now() - closeStart).toFixed(1)} ms`)
} finally {
  rmSync(state, { recursive: true, force: true })
}
