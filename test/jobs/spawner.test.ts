// The spawner process: jobs started through it behave as jobs started in the supervisor (output,
// exit codes, signals, stdin, process group, cancel), a launch that cannot start says why, and a
// spawner that dies ends its running jobs "lost" (their groups killed) and is started again — with
// Node's process and pipe handles and with the public API the helper falls back to without them.
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { onTestFinished } from "vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { LaunchLeader, runProcess, spawnWithSpawner, type ProcessSpec } from "../../src/jobs/run-process"
import { envChange, Spawner } from "../../src/jobs/spawner"
import { spawnerProgram } from "../../src/jobs/spawner-program"
import { isAlive, liveMembersOf, recordingSink, textOf, useProcessScratch } from "./helpers"

const { started, spec } = useProcessScratch("hookd-spawner-", 1000)

/** A spawner for one test (its helpers on the public API or not), stopped when the test's scope closes. */
const spawnerOf = (publicApi: boolean, spawners?: number, idleStopMs?: number) =>
  Effect.acquireRelease(Effect.sync(() => new Spawner(spawners, idleStopMs, undefined, publicApi)), (s) => Effect.sync(() => s.close()))

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

/** The sockets this process holds (`socket:[inode]`). */
const socketsHere = (): Set<string> =>
  new Set(readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)]
    } catch {
      return [] // the directory's own descriptor, closed meanwhile
    }
  }).filter((link) => link.startsWith("socket:")))

/**
 * The other ends of a process's stdout and stderr (Node's "pipe" stdio is a Unix socket pair): by
 * the peer inodes `ss -xn` reports, as `socket:[inode]`.
 */
const outputPeersOf = (pid: number): Array<string> => {
  const peers = new Map<string, string>()
  for (const line of execFileSync("ss", ["-xn"], { encoding: "utf8" }).split("\n")) {
    const fields = line.trim().split(/\s+/)
    if (fields[0] === "u_str" && fields.length >= 8) peers.set(fields[5]!, fields[7]!)
  }
  return [1, 2].map((fd) => {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1]
    return `socket:[${inode === undefined ? "?" : peers.get(inode) ?? "?"}]`
  })
}

type HelperMessage = { t: string; id?: number; s?: string; b?: string; code?: unknown; why?: string }

/**
 * The helper program alone in `node`, with `shim` preloaded (it breaks one of the bindings the
 * helper uses), starting `scripts` through its protocol: what it answered, and its stderr.
 */
const helperWith = async (shim: string, scripts: Array<string>) => {
  const dir = mkdtempSync(join(tmpdir(), "hookd-spawner-shim-"))
  // After the test, also when it timed out waiting for a helper that never answered.
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, "shim.cjs"), shim)
  const child = spawn(process.execPath, ["--require", join(dir, "shim.cjs"), "-e", `(${spawnerProgram.toString()})(require)`], {
    env: {},
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json"
  })
  onTestFinished(() => void child.kill("SIGKILL"))
  let stderr = ""
  child.stderr!.on("data", (bytes: Buffer) => (stderr += bytes.toString()))
  const closed = Promise.all([
    new Promise<void>((resolve) => child.stderr!.once("end", () => resolve())),
    new Promise<void>((resolve) => child.once("exit", () => resolve()))
  ])
  const messages: Array<HelperMessage> = []
  // A job is done once it failed to start, or exited and both its streams ended (in any order).
  const left = new Map(scripts.map((_, i) => [i + 1, 3]))
  await new Promise<void>((resolve, reject) => {
    child.on("message", (m: HelperMessage | Array<HelperMessage>) => {
      for (const one of [m].flat()) {
        messages.push(one)
        if (one.t === "error") left.delete(one.id!)
        else if ((one.t === "exit" || one.t === "end") && left.has(one.id!)) left.set(one.id!, left.get(one.id!)! - 1)
        if (left.get(one.id!) === 0) left.delete(one.id!)
      }
      if (left.size === 0) resolve()
    })
    child.once("exit", (code, signal) => reject(new Error(`the helper exited (${code ?? signal}): ${stderr}`)))
    child.send(scripts.map((script, i) => ({ t: "run", id: i + 1, script, cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } })))
  })
  child.disconnect() // the helper exits with its supervisor
  await closed
  const out = (id: number, s: string) =>
    messages.filter((m) => m.t === "out" && m.id === id && m.s === s).map((m) => Buffer.from(m.b!, "base64").toString()).join("")
  return { messages, stderr, out, exitOf: (id: number) => messages.find((m) => m.t === "exit" && m.id === id) }
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1))

describe.each([
  { api: "Node's process and pipe handles", publicApi: false },
  { api: "the public API (HOOKD_SPAWNER_PUBLIC_API=1)", publicApi: true }
])("spawner process with $api", ({ publicApi }) => {
  const spawner = spawnerOf(publicApi)

  it.scopedLive("exit codes, signals, output in order per stream, stdin, and a group of its own", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      const ok = yield* run(s, "printf 'a\\nb\\r\\nlast'; echo err >&2; exit 3")
      expect(ok.result).toMatchObject({ _tag: "Right", right: { _tag: "Exited", code: 3 } })
      expect(textOf(ok.sink, "stdout")).toEqual(["a", "b", "last"])
      expect(textOf(ok.sink, "stderr")).toEqual(["err"])
      expect(ok.sink.spawned[0]!.pgid).not.toBe(process.pid)
      expect(ok.sink.spawned[0]!.fingerprint).toMatch(/^.+:\d+$/)
      // The helper runs on the API this suite is about (it says so before its first answer).
      expect(s.publicApiReasons).toEqual([publicApi ? "HOOKD_SPAWNER_PUBLIC_API=1" : undefined])
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

  it.scopedLive("a job that cannot start fails with the reason (E2BIG names the fix, a NUL byte is refused)", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      const huge = yield* run(s, "true", { env: { BIG: "x".repeat(200_000) } })
      expect(huge.result._tag).toBe("Left")
      expect(huge.result._tag === "Left" && huge.result.left.message).toMatch(/E2BIG.*xargs/)
      // A C string would end at the NUL: refused, never run cut short.
      for (const bad of [yield* run(s, "echo a\0b"), yield* run(s, "true", { env: { BAD: "a\0b" } })]) {
        expect(bad.result._tag === "Left" && bad.result.left).toMatchObject({ _tag: "SpawnFailed", message: expect.stringMatching(/NUL byte/) })
        expect(bad.sink.spawned).toEqual([])
      }
      // The helper goes on starting jobs.
      expect(textOf((yield* run(s, "echo fine")).sink, "stdout")).toEqual(["fine"])
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
      const s = yield* spawnerOf(publicApi, 2, 100)
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

  it.scopedLive("output: the first reads relayed, a busy stream's pipe handed over — every byte once, in order, on both streams", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      // 100,000 lines (588,895 bytes) on each stream at once: far past what the helper relays.
      const both = yield* run(s, "seq 1 100000 >&2 & seq 1 100000; wait")
      expect(both.result).toMatchObject({ _tag: "Right", right: { _tag: "Exited", code: 0 } })
      expect(textOf(both.sink, "stdout")).toEqual(numbers(100_000))
      expect(textOf(both.sink, "stderr")).toEqual(numbers(100_000))
      // Small writes one after another (each its own read, or a few together): relayed, then handed over.
      const trickle = yield* run(s, "i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo $i; echo e$i >&2; done")
      expect(textOf(trickle.sink, "stdout")).toEqual(numbers(300))
      expect(textOf(trickle.sink, "stderr")).toEqual(numbers(300).map((n) => `e${n}`))
    }))

  it.scopedLive("a job that writes little leaves its pipes with the helper; a busy one's are read by the supervisor itself", () =>
    Effect.gen(function* () {
      const s = yield* spawner
      const runUntil = (command: string, last: string) =>
        Effect.gen(function* () {
          const sink = recordingSink((line) => line === last)
          const fiber = yield* Effect.fork(
            runProcess(spec(command), {
              ...sink,
              onSpawned: (info) => Effect.zipRight(Effect.sync(() => void started.push(info.pgid)), sink.onSpawned(info))
            }).pipe(Effect.provideService(LaunchLeader, spawnWithSpawner(s)))
          )
          yield* sink.ready
          // The job now sleeps (exec: same pid) with its stdout and stderr open.
          const held = socketsHere()
          const pipes = outputPeersOf(sink.spawned[0]!.pid).map((peer) => held.has(peer))
          yield* Fiber.interrupt(fiber)
          return pipes
        })
      expect(yield* runUntil("echo small; exec sleep 30", "small")).toEqual([false, false])
      expect(yield* runUntil("seq 1 100000; exec sleep 30", "100000")).toEqual([true, false])
    }))
})

describe("spawner process", () => {
  it("a helper whose bindings are missing or not as expected starts its jobs with child_process", async () => {
    const jobs = ["echo out; echo err >&2; exit 3", "echo two"]
    const checkRan = (helper: Awaited<ReturnType<typeof helperWith>>) => {
      expect(helper.messages.filter((m) => m.t === "error")).toEqual([])
      expect(helper.exitOf(1)).toMatchObject({ code: 3, signal: null })
      expect([helper.out(1, "o"), helper.out(1, "e")]).toEqual(["out\n", "err\n"])
      expect(helper.exitOf(2)).toMatchObject({ code: 0 })
      expect(helper.out(2, "o")).toBe("two\n")
      expect(helper.messages.filter((m) => m.t === "spawned").length).toBe(2) // each job once
    }
    // stream_wrap without its shared read state: the probe at start fails, the helper says so once.
    const probed = await helperWith(
      `const b = process.binding; process.binding = (name) => (name === "stream_wrap" ? {} : b.call(process, name))`,
      jobs
    )
    checkRan(probed)
    expect(probed.messages.filter((m) => m.t === "api")).toEqual([{ t: "api", api: "public", why: "stream_wrap's streamBaseState is not as expected" }])
    expect(probed.stderr).toMatch(/not usable \(stream_wrap's streamBaseState is not as expected\): starting jobs with child_process/)
    // process.binding gone altogether.
    checkRan(await helperWith(`delete process.binding; process.binding = undefined`, jobs))
    // Everything there, but the first spawn throws (an option's shape changed): that job and the
    // next start through child_process, the first one once, not twice.
    const threw = await helperWith(
      // (process.binding's view only: child_process reads its own binding, which a newer Node would match)
      `const b = process.binding
      function Process() {}
      Process.prototype.spawn = function () { throw new TypeError("options.envPairs is gone") }
      Process.prototype.close = function () {}
      process.binding = (name) => (name === "process_wrap" ? { Process } : b.call(process, name))`,
      jobs
    )
    checkRan(threw)
    expect(threw.messages.filter((m) => m.t === "api").map((m) => m.why)).toEqual(["a job's start threw: options.envPairs is gone"])
  })

  it("a run request carries only the environment that changed since the previous one", () => {
    const first = { PATH: "/bin", HOOKD_JOB: "a", HOME: "/h" }
    expect(envChange(undefined, first)).toEqual({ env: first })
    expect(envChange(first, first)).toEqual({})
    expect(envChange(first, { ...first, HOOKD_JOB: "b" })).toEqual({ set: { HOOKD_JOB: "b" } })
    expect(envChange(first, { PATH: "/bin", HOOKD_JOB: "a", EXTRA: "" })).toEqual({ set: { EXTRA: "" }, unset: ["HOME"] })
    // Names an object has of its own (inherited members are not variables).
    expect(envChange({ A: "1" }, { A: "1", constructor: "c", toString: "t" })).toEqual({ set: { constructor: "c", toString: "t" } })
    expect(envChange({ A: "1", constructor: "c" }, { A: "1" })).toEqual({ unset: ["constructor"] })
    const proto = JSON.parse('{"A":"1","__proto__":"p"}') as Record<string, string>
    expect(envChange({ A: "1" }, proto)).toEqual({ env: proto })
  })
})
