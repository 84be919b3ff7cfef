import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import { groupHasLiveMembers, killGroup, SignalGroup } from "../../src/jobs/process-group"
import { type ProcessSpec, runProcess } from "../../src/jobs/run-process"
import { isAlive, liveMembersOf, recordingSink, textOf, useProcessScratch } from "./helpers"

const { started, spec } = useProcessScratch("hookd-cancel-", 2000)

/** Starts the job in a fiber and waits for its "ready" line; returns the fiber, the sink and the pgid. */
const startUntilReady = (command: string, extra: Partial<ProcessSpec> = {}) =>
  Effect.gen(function* () {
    const sink = recordingSink((line) => line === "ready")
    const fiber = yield* Effect.fork(
      runProcess(spec(command, extra), {
        ...sink,
        onSpawned: (info) => Effect.zipRight(Effect.sync(() => void started.push(info.pgid)), sink.onSpawned(info))
      })
    )
    yield* Deferred.await(sink.ready)
    return { fiber, sink, pgid: sink.spawned[0]!.pgid }
  })

const pidsPrinted = (lines: ReadonlyArray<string>) =>
  lines.filter((l) => l.startsWith("pid ")).map((l) => Number(l.slice(4)))

describe("cancel by interruption", () => {
  it.live("kills every process of the group, background children included", () =>
    Effect.gen(function* () {
      const { fiber, sink, pgid } = yield* startUntilReady(
        "sleep 100 & echo pid $!; sleep 100 & echo pid $!; echo ready; wait"
      )
      const children = pidsPrinted(textOf(sink, "stdout"))
      expect(children).toHaveLength(2)
      expect(liveMembersOf(pgid).length).toBeGreaterThanOrEqual(3)
      yield* Fiber.interrupt(fiber)
      expect(liveMembersOf(pgid)).toEqual([])
      expect(children.filter(isAlive)).toEqual([])
      expect(sink.cancellingCalls).toBe(1)
    }))

  it.live("a group that ignores SIGTERM is SIGKILLed after the grace period and the interrupt completes", () =>
    Effect.gen(function* () {
      const { fiber, sink, pgid } = yield* startUntilReady("trap '' TERM; sleep 100 & echo ready; wait; wait", {
        graceMs: 300
      })
      yield* Fiber.interrupt(fiber)
      expect(liveMembersOf(pgid)).toEqual([])
      expect(sink.cancellingCalls).toBe(1)
    }))

  it.live("a group that cannot be signalled is handed to the sink as KillFailed; the interruption stays a plain one", () =>
    Effect.gen(function* () {
      // Root may signal every group, so the kernel's EPERM is stood in for.
      const refuse = () => {
        throw Object.assign(new Error("kill EPERM"), { code: "EPERM" })
      }
      const { fiber, sink, pgid } = yield* startUntilReady("echo ready; sleep 100").pipe(Effect.provideService(SignalGroup, refuse))
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)).toBe(true)
      expect(sink.killFailures).toEqual([expect.objectContaining({ _tag: "KillFailed", pgid, errno: "EPERM" })])
      expect(liveMembersOf(pgid).length).toBeGreaterThan(0)
    }))

  it.live("onCancelling is not called when the job ends by itself", () =>
    Effect.gen(function* () {
      const sink = recordingSink()
      yield* runProcess(spec("echo hi"), sink)
      expect(sink.cancellingCalls).toBe(0)
    }))

  it.live("a leader that exits 0 leaving a background child holding the pipes leaves no survivor", () =>
    Effect.gen(function* () {
      const sink = recordingSink()
      const result = yield* runProcess(spec("sleep 100 & echo pid $!"), sink)
      expect(result).toEqual({ _tag: "Exited", code: 0 })
      const [child] = pidsPrinted(textOf(sink, "stdout"))
      expect(child).toBeDefined()
      expect(isAlive(child!)).toBe(false)
      expect(liveMembersOf(sink.spawned[0]!.pgid)).toEqual([])
    }))

  it.live("a leader that exits 0 leaving a detached-output background child leaves no survivor", () =>
    Effect.gen(function* () {
      const sink = recordingSink()
      yield* runProcess(spec("sleep 100 >/dev/null 2>&1 & echo pid $!"), sink)
      const [child] = pidsPrinted(textOf(sink, "stdout"))
      expect(isAlive(child!)).toBe(false)
      expect(liveMembersOf(sink.spawned[0]!.pgid)).toEqual([])
    }))
})

describe("timeout", () => {
  it.live("a job past its timeout is TimedOut and its group is gone", () =>
    Effect.gen(function* () {
      const sink = recordingSink()
      const result = yield* runProcess(spec("sleep 30 & sleep 30; wait", { timeoutMs: 500 }), sink)
      expect(result).toEqual({ _tag: "TimedOut", afterMs: 500 })
      expect(liveMembersOf(sink.spawned[0]!.pgid)).toEqual([])
      expect(sink.cancellingCalls).toBe(0)
    }))

  it.live("a job that finishes before its timeout is Exited", () =>
    Effect.gen(function* () {
      const sink = recordingSink()
      expect(yield* runProcess(spec("exit 4", { timeoutMs: 10000 }), sink)).toEqual({ _tag: "Exited", code: 4 })
    }))
})

describe("killGroup", () => {
  it.live("a group that does not exist is already gone: success without escalation", () =>
    Effect.gen(function* () {
      // pid_max is at most 4194304, so this pgid cannot exist.
      expect(yield* killGroup(4194305, 100)).toEqual({ escalated: false })
      expect(groupHasLiveMembers(4194305)).toBe(false)
    }))

  it.live("pgid 1 and below are refused (kill(-1) would signal every process) with KillFailed", () =>
    Effect.gen(function* () {
      for (const pgid of [1, 0, -5]) {
        const error = yield* Effect.flip(killGroup(pgid, 100))
        expect(error).toMatchObject({ _tag: "KillFailed", pgid })
        expect(groupHasLiveMembers(pgid)).toBe(false)
      }
    }))
})
