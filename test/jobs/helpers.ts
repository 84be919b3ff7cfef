// Shared test helpers for the jobs runtime: a recording sink and /proc inspection.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach } from "vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type { KillFailed } from "../../src/jobs/errors"
import type { ProcessSink, ProcessSpec } from "../../src/jobs/run-process"

export interface RecordingSink extends ProcessSink {
  readonly lines: Array<{ kind: "stdout" | "stderr"; text: string }>
  readonly spawned: Array<{ pid: number; pgid: number; fingerprint: string | undefined }>
  cancellingCalls: number
  readonly killFailures: Array<KillFailed>
  /** Completes with the first stdout line that satisfies the predicate given to `recordingSink`. */
  readonly ready: Deferred.Deferred<string>
}

export const recordingSink = (isReady: (line: string) => boolean = () => true): RecordingSink => {
  const ready = Deferred.unsafeMake<string>(FiberId.none)
  const sink: RecordingSink = {
    lines: [],
    spawned: [],
    cancellingCalls: 0,
    killFailures: [],
    ready,
    onSpawned: (info) => Effect.sync(() => void sink.spawned.push(info)),
    onOutput: (kind, lines) => {
      for (const text of lines.toString("utf8").split("\n")) {
        sink.lines.push({ kind, text })
        if (kind === "stdout" && isReady(text)) Deferred.unsafeDone(ready, Exit.succeed(text))
      }
    },
    onCancelling: () => Effect.sync(() => void sink.cancellingCalls++),
    onKillFailed: (failure) => Effect.sync(() => void sink.killFailures.push(failure))
  }
  return sink
}

export const textOf = (sink: RecordingSink, kind: "stdout" | "stderr") =>
  sink.lines.filter((l) => l.kind === kind).map((l) => l.text)

const statOf = (pid: number | string): { state: string; pgrp: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/)
    return { state: fields[0]!, pgrp: Number(fields[2]) }
  } catch {
    return undefined
  }
}

/** Pids of the group that are alive (zombies waiting for init do not count). */
export const liveMembersOf = (pgid: number): Array<number> =>
  readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      const s = statOf(e)
      return s !== undefined && s.pgrp === pgid && s.state !== "Z"
    })
    .map(Number)

export const isAlive = (pid: number): boolean => {
  const s = statOf(pid)
  return s !== undefined && s.state !== "Z"
}

/** Kills anything a failed test left behind. */
export const killLeftovers = (pgids: Iterable<number>) => {
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, "SIGKILL")
    } catch {
      // already gone
    }
  }
}

/**
 * A scratch directory for one test file (removed after it) whose processes are killed after each
 * test, and a ProcessSpec builder running there with a minimal PATH.
 */
export const useProcessScratch = (prefix: string, graceMs: number) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const started: Array<number> = []
  afterEach(() => killLeftovers(started.splice(0)))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const spec = (command: string, extra: Partial<ProcessSpec> = {}): ProcessSpec => ({
    command,
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    timeoutMs: 0,
    graceMs,
    ...extra
  })
  return { dir, started, spec }
}
