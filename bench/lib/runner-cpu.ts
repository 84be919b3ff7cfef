// The supervisor's own work per job, in process (bench/runner-cpu.mjs): an invocation of `true` jobs
// through the real store (a SQLite file), slot pool, job fibers, lazy logs and row writes — with a
// launcher whose leaders exit at once, so no process, spawner or socket is involved. Prints one
// JSON line: the median CPU µs per job over the rounds after the first two (JIT warm-up). With
// RUNNER_CPU_OPS=1 it counts instead the Effect operations the runtime evaluates per job, by kind
// (a Supervisor with op supervision on: the CPU figure is then not worth quoting).
import { Deferred, Effect, RuntimeFlags, RuntimeFlagsPatch, Supervisor } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setFlagsFromString } from "node:v8"
import { launchInvocation, type InvocationDeps } from "../../src/jobs/invocation"
import { JobLog } from "../../src/jobs/job-log"
import { newJobRow } from "../../src/jobs/rows"
import type { Leader } from "../../src/jobs/run-process"
import { makeJobPools } from "../../src/jobs/slots"
import { openRepoStore } from "../../src/store/open"

const JOBS = Number(process.env.RUNNER_CPU_JOBS ?? 1000)
const ROUNDS = Number(process.env.RUNNER_CPU_ROUNDS ?? 6)
// As the supervisor's loader sets it (src/supervisor/code-cache.ts), unless asked not to.
if (process.env.RUNNER_CPU_OPTIMIZE_FOR_SIZE !== "0") setFlagsFromString("--optimize-for-size")

/** Effect operations evaluated, by kind (`_op`: Success, OnSuccess, Async, Commit = suspend …). */
const ops = new Map<string, number>()
class OpCounter extends Supervisor.AbstractSupervisor<void> {
  readonly value = Effect.void
  override onEffect(_fiber: unknown, effect: Effect.Effect<unknown, unknown, unknown>): void {
    const kind = (effect as unknown as { _op: string })._op
    ops.set(kind, (ops.get(kind) ?? 0) + 1)
  }
}
const COUNT_OPS = process.env.RUNNER_CPU_OPS === "1"

/** Pids no process has (kill(-pid, 0) answers ESRCH, as for a job whose group is gone). */
let nextPid = 4_190_000
const endedSource = () => ({ start: (_bytes: unknown, onEnd: () => void) => void setImmediate(onEnd), destroy: () => {} })
const launch = () =>
  Effect.async<Leader>((resume) => {
    setImmediate(() => {
      const pid = nextPid++
      const exit = new Promise<{ _tag: "Exited"; code: number }>((done) => setImmediate(() => done({ _tag: "Exited", code: 0 })))
      resume(Effect.succeed({ pid, fingerprint: `${pid}:bench`, stdout: endedSource(), stderr: endedSource(), exit, destroy: () => {} } as Leader))
    })
  })

const dir = mkdtempSync(join(tmpdir(), "hookd-runner-cpu-"))
const repoId = "0123456789abcdef"
const program = Effect.gen(function* () {
  const store = yield* openRepoStore({ dbPath: join(dir, "repo.db"), repoId, root: dir })
  const repo = { repoId, root: dir, store }
  const deps: InvocationDeps = {
    launch: launch as InvocationDeps["launch"],
    pools: makeJobPools({ foreground: 8, background: 8 }),
    killGraceMs: 2000,
    containment: { kind: "process group", reason: "bench" },
    onJobEnded: () => {},
    currentStore: () => Effect.succeed(store),
    inBackground: (effect) => Effect.asVoid(Effect.fork(effect)),
    stopping: () => false
  }
  const perJob: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const invocationId = round.toString(16).padStart(16, "0")
    const specs = Array.from({ length: JOBS }, (_, i) => ({ name: `t${i}`, run: "true", background: true }))
    const env = { PATH: "/usr/bin:/bin" }
    const request = { repo_root: dir, worktree: dir, hook: "post-checkout", args: [], env, mode: "auto", wait: false, jobs: specs } as const
    ops.clear()
    const before = process.cpuUsage()
    const now = Date.now()
    const rows = specs.map((spec) => newJobRow(spec, { invocationId, hook: request.hook, worktree: dir, env, now }))
    yield* store.insertInvocation({ invocation_id: invocationId, hook: request.hook, worktree: dir, args: [], created_at: now, status: "running", supervisor_pid: process.pid }, rows)
    const jobs = specs.map((spec) => ({ spec, log: JobLog.lazy(join(dir, "logs", invocationId, spec.name, "output.jsonl")), after: [] }))
    const launched = yield* launchInvocation(deps, { repo, invocationId, request: request as never, jobs, satisfiedSkips: new Set() })
    yield* launched.supervise
    for (const job of launched.jobs) {
      const ended = yield* Deferred.await(job.done)
      if (ended.status !== "completed") throw new Error(`job ${job.name} ended ${ended.status}`)
    }
    const used = process.cpuUsage(before)
    perJob.push((used.user + used.system) / JOBS)
  }
  const warm = perJob.slice(2).sort((a, b) => a - b)
  // The last round's operations per job, most frequent first.
  const opsPerJob = Object.fromEntries([...ops].sort((a, b) => b[1] - a[1]).map(([kind, n]) => [kind, n / JOBS]))
  process.stdout.write(JSON.stringify({ cpuUsPerJob: warm[Math.floor(warm.length / 2)], rounds: perJob, ...(COUNT_OPS && { opsPerJob }) }) + "\n")
})

const counted = COUNT_OPS
  ? Effect.scoped(program).pipe(Effect.supervised(new OpCounter()), Effect.withRuntimeFlagsPatch(RuntimeFlagsPatch.enable(RuntimeFlags.OpSupervision)))
  : Effect.scoped(program)
Effect.runPromise(counted).finally(() => rmSync(dir, { recursive: true, force: true }))
