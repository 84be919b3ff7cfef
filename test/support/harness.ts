// An in-process supervisor without the socket: the layers main composes (settings over a temp
// state dir, the real store, the repo registry, lifecycle, logging, retention and the job runner),
// real SQLite files, real git repositories and real child processes. For direct, fast tests of the
// runner and the request handlers. Everything lives in the test's scope (no module-level state),
// so test files using it can share a worker (isolate: false).
import { Effect, Layer, Logger, Stream } from "effect"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { JobLog } from "../../src/jobs/job-log"
import { JobRunner, JobRunnerLive, type LiveJob } from "../../src/jobs/runner"
import { tailJobLog } from "../../src/jobs/tail"
import { LifecycleLive } from "../../src/lifecycle/lifecycle"
import { makeLogWriter, makeSupervisorLogger } from "../../src/logging/event-log"
import { jobLogPath, supervisorLogPath } from "../../src/protocol/paths"
import type { JobSpec, LogRecord } from "../../src/protocol/types"
import { RepoRegistry, RepoRegistryLive } from "../../src/repos/registry"
import { RetentionLive } from "../../src/retention/service"
import { layerSettings, type SupervisorSettings } from "../../src/settings/settings"
import { StoreLive } from "../../src/store/service"
import { makeGitRepo } from "./git"
import { runJobs } from "./requests"

export interface HarnessOptions {
  readonly stateDir: string
  readonly maxParallel?: number
  readonly maxForeground?: number
  readonly killGraceMs?: number
}

export const harnessSettings = (options: HarnessOptions): SupervisorSettings => ({
  version: "0.0.0-harness",
  stateDir: options.stateDir,
  socketPath: join(options.stateDir, "hookd.sock"),
  maxParallel: options.maxParallel ?? 4,
  maxForeground: options.maxForeground ?? 4,
  killGraceMs: options.killGraceMs ?? 2000,
  idleExitMs: undefined,
  journal: false,
  startedAt: Date.now()
})

/** The supervisor's services as main composes them; the log goes to <state>/hookd.log, not stderr. */
export const harnessLayer = (options: HarnessOptions) => {
  const settings = harnessSettings(options)
  const base = Layer.mergeAll(layerSettings(settings), LifecycleLive, StoreLive)
  const serving = Layer.provideMerge(RetentionLive, Layer.provideMerge(JobRunnerLive, Layer.provideMerge(RepoRegistryLive, base)))
  const logger = Logger.replace(Logger.defaultLogger, makeSupervisorLogger(makeLogWriter(supervisorLogPath(settings.stateDir), "none")))
  return Layer.provideMerge(serving, logger)
}

/** A temp directory removed when the scope closes. */
export const scratchDir = (prefix = "hookd-harness-") =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** A scratch dir holding a state dir and a git repository (with one commit). */
export const sandbox = Effect.map(scratchDir(), (dir) => ({ dir, stateDir: join(dir, "state"), repo: makeGitRepo(join(dir, "repo")) }))

export { job } from "./requests"

/** Starts an invocation of `jobs` in the repository at `repo` through the runner (as RunJobs does). */
export const startJobs = (repo: string, jobs: ReadonlyArray<JobSpec>) =>
  Effect.gen(function* () {
    const open = yield* (yield* RepoRegistry).resolve(repo)
    const started = yield* (yield* JobRunner).start(open, runJobs(repo, jobs), jobs)
    const liveJob = (name: string): LiveJob => {
      const found = started.live.find((j) => j.name === name)
      if (found === undefined) throw new Error(`job ${name} is not live`)
      return found
    }
    return { ...started, repo: open, liveJob }
  })

/** Waits (on the live log, no polling) until the job has printed `line` on stdout. */
export const untilLine = (stateDir: string, job: LiveJob, line: string) =>
  tailJobLog({ path: jobLogPath(stateDir, job.repoId, job.invocationId, job.name), live: job.log, follow: true }).pipe(
    Stream.filter((r) => r.kind === "stdout" && r.data === line),
    Stream.runHead,
    Effect.orDie
  )

/**
 * Every record of a job's log, in order: its output.jsonl, or — for a job of this supervisor that
 * wrote no output, so has no file (issue 13) — the records its JobLog holds. Without either, the
 * read fails (ENOENT) as it always did.
 */
export const recordsOf = (
  stateDir: string,
  job: { readonly repoId: string; readonly invocationId: string; readonly name: string; readonly log?: Pick<JobLog, "unwrittenRecords"> }
): LogRecord[] => {
  const path = jobLogPath(stateDir, job.repoId, job.invocationId, job.name)
  const held = existsSync(path) ? undefined : job.log?.unwrittenRecords()
  if (held !== undefined) return [...held]
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as LogRecord)
}
