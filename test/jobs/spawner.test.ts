// The spawner process: jobs started through it behave as jobs started in the supervisor (output,
// exit codes, signals, stdin, process group, cancel), a launch that cannot start says why, and a
// spawner that dies ends its running jobs "lost" (their groups killed) and is started again.
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { LaunchLeader, runProcess, spawnWithSpawner, type ProcessSpec } from "../../src/jobs/run-process"
import { Spawner } from "../../src/jobs/spawner"
import { isAlive, liveMembersOf, recordingSink, textOf, useProcessScratch } from "./helpers"

const { started, spec } = useProcessScratch("hookd-spawner-", 1000)

/** A spawner for one test, stopped when the test's scope closes. */
const spawner = Effect.acquireRelease(Effect.sync(() => new Spawner()), (s) => Effect.sync(() => s.close()))

const run = (s: Spawner, command: string, extra: Partial<ProcessSpec> = {}) => {
  const sink = recordingSink()
  return runProcess(spec(command, extra), {
    ...sink,
    onSpawned: (info) => Effect.zipRight(Effect.sync(() => void started.push(info.pgid)), sink.onSpawned(info))
  }).pipe(
    Effect.provideService(LaunchLeader, spawnWithSpawner(s)),
    Effect.either,
    Effect.map((result) => ({ result, sink }))
  )
}

describe("spawner process", () => {
  it.scopedLive("exit codes, signals, output in order per stream, stdin, and a group of its own", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      const ok = yield* run(s, "printf 'a\\nb\\r\\nlast'; echo err >&2; exit 3")
      expect(ok.result).toMatchObject({ _tag: "Right", right: { _tag: "Exited", code: 3 } })
      expect(textOf(ok.sink, "stdout")).toEqual(["a", "b", "last"])
      expect(textOf(ok.sink, "stderr")).toEqual(["err"])
      expect(ok.sink.spawned[0]!.pgid).not.toBe(process.pid)
      expect(ok.sink.spawned[0]!.fingerprint).toMatch(/^.+:\d+$/)
      const pgid = yield* run(s, "ps -o pgid= -p $$ | tr -d ' '")
      expect(textOf(pgid.sink, "stdout")).toEqual([String(pgid.sink.spawned[0]!.pid)])
      expect((yield* run(s, "kill -9 $$")).result).toMatchObject({ _tag: "Right", right: { _tag: "Signaled", signal: "SIGKILL" } })
      const fed = yield* run(s, "cat", { stdin: "one\ntwo\n" })
      expect(textOf(fed.sink, "stdout")).toEqual(["one", "two"])
      const empty = yield* run(s, "cat; echo done")
      expect(textOf(empty.sink, "stdout")).toEqual(["done"])
      // Many at once: each job's output reaches its own sink.
      const many = yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) => run(s, `echo job-${i}`), { concurrency: 8 })
      expect(many.map((m) => textOf(m.sink, "stdout"))).toEqual(Array.from({ length: 40 }, (_, i) => [`job-${i}`]))
    }))

  it.scopedLive("a job that cannot start fails with the reason (E2BIG names the fix)", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      const huge = yield* run(s, "true", { env: { BIG: "x".repeat(200_000) } })
      expect(huge.result._tag).toBe("Left")
      expect(huge.result._tag === "Left" && huge.result.left.message).toMatch(/E2BIG.*xargs/)
    }))

  it.scopedLive("cancel kills the group; a killed spawner ends its jobs lost, kills their groups and is started again", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      const cancelled = recordingSink((line) => line === "up")
      const fiber = yield* Effect.fork(
        runProcess(spec("sleep 30 & echo up; wait"), cancelled).pipe(Effect.provideService(LaunchLeader, spawnWithSpawner(s)))
      )
      yield* cancelled.ready.pipe(Effect.flatMap(() => Fiber.interrupt(fiber)))
      expect(liveMembersOf(cancelled.spawned[0]!.pgid)).toEqual([])

      const orphan = recordingSink((line) => line === "up")
      const lost = yield* Effect.fork(
        runProcess(spec("sleep 30 & echo up; wait"), orphan).pipe(Effect.provideService(LaunchLeader, spawnWithSpawner(s)), Effect.either)
      )
      yield* orphan.ready
      const [first] = s.pids
      process.kill(first!, "SIGKILL")
      const result = yield* Fiber.join(lost)
      expect(result._tag === "Left" && result.left._tag).toBe("LeaderLost")
      expect(liveMembersOf(orphan.spawned[0]!.pgid)).toEqual([])
      expect(isAlive(first!)).toBe(false)
      const again = yield* run(s, "echo again")
      expect(textOf(again.sink, "stdout")).toEqual(["again"])
    }))

  it.scopedLive("idle helpers leave (they cost memory) and come back with the next job", () =>
    Effect.gen(function* () {
      const s = yield* Effect.acquireRelease(Effect.sync(() => new Spawner(2, 100)), (s) => Effect.sync(() => s.close()))
      // The result too: a flake once gave no output here, and the exit (or the launch error) says why.
      const first = yield* run(s, "echo one")
      expect({ result: first.result, stdout: textOf(first.sink, "stdout") }).toEqual({
        result: Either.right({ _tag: "Exited", code: 0 }),
        stdout: ["one"]
      })
      const helpers = s.pids
      expect(helpers.length).toBeGreaterThan(0)
      // Bounded wait for the helpers' own exit (they are not this test's children to await).
      for (let i = 0; i < 200 && helpers.some(isAlive); i++) yield* Effect.sleep("50 millis")
      expect(helpers.filter(isAlive)).toEqual([])
      expect(s.pids).toEqual([])
      expect(textOf((yield* run(s, "echo two")).sink, "stdout")).toEqual(["two"])
    }))
})
