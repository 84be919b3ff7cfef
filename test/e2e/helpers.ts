// Shared steps of the supervisor's black-box tests.
import type { JobInfo, LogRecord, RequestPayloads, ResponseEnvelope } from "../../src/protocol/types"
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, expect } from "vitest"
import { git, makeGitRepo } from "../support/git"
import { hookctl } from "../support/hookctl"
import { makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"

export { job, runJobs } from "../support/requests"

export const payloadOf = <K extends ResponseEnvelope["kind"]>(r: ResponseEnvelope, kind: K) => {
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(r)}`)
  return r.payload as Extract<ResponseEnvelope, { kind: K }>["payload"]
}

/** Starts an invocation and returns its id. */
export const start = async (socket: string, request: RequestPayloads["RunJobs"]): Promise<string> => {
  const c = await TestClient.connect(socket)
  try {
    return payloadOf(await c.request("RunJobs", request), "RunAccepted").invocation_id
  } finally {
    c.close()
  }
}

/** Follows a job's log until its terminal record; returns every record seen. */
export const follow = async (socket: string, repo: string, invocationId: string, name: string, extra: Partial<RequestPayloads["TailLogs"]> = {}): Promise<{ records: LogRecord[]; end: ResponseEnvelope }> => {
  const c = await TestClient.connect(socket)
  try {
    c.send("TailLogs", { job: { repo_root: repo, invocation_prefix: invocationId, name }, follow: true, ...extra })
    const frames = await c.collect()
    const end = frames[frames.length - 1]
    const records = frames.filter((f) => f.kind === "StreamFrame").map((f) => (f.payload as { record: LogRecord }).record)
    return { records, end }
  } finally {
    c.close()
  }
}

/** Resolves once the job has spawned (its `started` record was written). */
export const awaitStarted = async (socket: string, repo: string, invocationId: string, name: string): Promise<void> => {
  const c = await TestClient.connect(socket)
  try {
    c.send("TailLogs", { job: { repo_root: repo, invocation_prefix: invocationId, name }, follow: true, kinds: ["status"] })
    for (;;) {
      const f = await c.next()
      if (f.kind !== "StreamFrame") throw new Error(`job ${name} ended before it started: ${JSON.stringify(f)}`)
      const record = (f.payload as { record: LogRecord }).record
      if (record.kind === "status" && record.data.event === "started") return
    }
  } finally {
    c.close()
  }
}

/**
 * Resolves once the job has written `line` to its stdout: for a command whose background children
 * must exist before the test goes on (its `started` record only says the shell has been exec'd).
 */
export const awaitOutput = async (socket: string, repo: string, invocationId: string, name: string, line: string): Promise<void> => {
  const c = await TestClient.connect(socket)
  try {
    c.send("TailLogs", { job: { repo_root: repo, invocation_prefix: invocationId, name }, follow: true, kinds: ["stdout"] })
    for (;;) {
      const f = await c.next()
      if (f.kind !== "StreamFrame") throw new Error(`job ${name} ended before it wrote ${JSON.stringify(line)}: ${JSON.stringify(f)}`)
      const record = (f.payload as { record: LogRecord }).record
      if (String(record.data).split("\n").includes(line)) return
    }
  } finally {
    c.close()
  }
}

export const getJob = async (socket: string, repo: string, invocationId: string, name: string): Promise<JobInfo> => {
  const c = await TestClient.connect(socket)
  try {
    return payloadOf(await c.request("GetJob", { job: { repo_root: repo, invocation_prefix: invocationId, name } }), "Job").job
  } finally {
    c.close()
  }
}

/** Follows to the end, then reads the row. */
export const finished = async (socket: string, repo: string, invocationId: string, name: string): Promise<JobInfo> => {
  await follow(socket, repo, invocationId, name)
  return getJob(socket, repo, invocationId, name)
}

export const listJobs = async (socket: string, payload: RequestPayloads["ListJobs"]): Promise<JobInfo[]> => {
  const c = await TestClient.connect(socket)
  try {
    return [...payloadOf(await c.request("ListJobs", payload), "Jobs").jobs]
  } finally {
    c.close()
  }
}

export interface Supervised {
  readonly sandbox: Sandbox
  readonly hookd: RunningSupervisor
}

export interface SupervisedRepo extends Supervised {
  /** A real git repository (one empty commit) inside the sandbox. */
  readonly repo: string
}

/**
 * One supervisor in its own sandbox for a whole test file: started before the first test, and
 * stopped after the last (failing the file if the supervisor crashed in between).
 */
export const useSupervisor = (env: Record<string, string>, onStarted: (started: Supervised) => void): void => {
  let current: Supervised | undefined
  beforeAll(async () => {
    const sandbox = makeSandbox(env)
    current = { sandbox, hookd: await startSupervisor(sandbox) }
    onStarted(current)
  })
  afterAll(async () => {
    try {
      await current?.hookd.stopCleanly()
    } finally {
      current?.sandbox.cleanup()
    }
  })
}

/** useSupervisor plus a git repository in the sandbox. */
export const useSupervisedRepo = (env: Record<string, string>, onStarted: (started: SupervisedRepo) => void): void =>
  useSupervisor(env, (started) => onStarted({ ...started, repo: makeGitRepo(join(started.sandbox.dir, "repo")) }))

/**
 * A stand-in for hookctl (HOOKD_HOOKCTL) in `dir`, unique per `id`: it records its arguments and
 * exits `code`, so a test sees whether a shim fell back to hookctl, and with what.
 */
export const hookctlRecorder = (dir: string, id: number, code: number) => {
  const ran = join(dir, `ran${id}`)
  const path = join(dir, `recorder${id}`)
  writeFileSync(path, `#!/bin/sh\necho "$@" >> '${ran}'\nexit ${code}\n`)
  chmodSync(path, 0o755)
  return { path, ran: () => (existsSync(ran) ? readFileSync(ran, "utf8") : "") }
}

/** A fresh repo at `dir` with `config` as hookd.yml and `files` (all committed, so linked worktrees have them too), shims installed. */
export const repoWithHooks = async (sandbox: Sandbox, dir: string, config: string, files: Record<string, string> = {}): Promise<string> => {
  const repo = makeGitRepo(dir, sandbox.env)
  for (const [name, text] of Object.entries({ "hookd.yml": config, ...files })) writeFileSync(join(repo, name), text)
  git(repo, ["add", "hookd.yml", ...Object.keys(files)], sandbox.env)
  git(repo, ["commit", "-q", "--no-verify", "-m", "hookd config"], sandbox.env)
  const installed = await hookctl(sandbox, repo, ["hooks", "install"])
  expect(installed.code, installed.stderr).toBe(0)
  return repo
}
