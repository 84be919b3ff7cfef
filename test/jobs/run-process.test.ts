import { realpathSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type ProcessSpec, runProcess } from "../../src/jobs/run-process"
import { recordingSink, textOf, useProcessScratch } from "./helpers"

const { dir, started, spec } = useProcessScratch("hookd-run-", 1000)

const run = (command: string, extra: Partial<ProcessSpec> = {}) => {
  const sink = recordingSink()
  return runProcess(spec(command, extra), {
    ...sink,
    onSpawned: (info) => Effect.zipRight(Effect.sync(() => void started.push(info.pgid)), sink.onSpawned(info))
  }).pipe(Effect.map((result) => ({ result, sink })))
}

describe("runProcess", () => {
  it.live("a command that exits 0 is Exited 0", () =>
    Effect.gen(function* () {
      const { result, sink } = yield* run("true")
      expect(result).toEqual({ _tag: "Exited", code: 0 })
      expect(sink.spawned).toHaveLength(1)
      expect(sink.spawned[0]!.pgid).toBe(sink.spawned[0]!.pid)
      expect(sink.spawned[0]!.fingerprint).toMatch(/^.+:\d+$/)
    }))

  it.live("a non-zero exit code is reported as it is", () =>
    Effect.gen(function* () {
      expect((yield* run("exit 3")).result).toEqual({ _tag: "Exited", code: 3 })
    }))

  it.live("a leader killed by a signal is Signaled with the signal's name", () =>
    Effect.gen(function* () {
      expect((yield* run("kill -9 $$")).result).toEqual({ _tag: "Signaled", signal: "SIGKILL" })
    }))

  it.live("stdout and stderr lines arrive in order, CRLF stripped, last line without newline kept", () =>
    Effect.gen(function* () {
      const { sink } = yield* run(
        `printf 'one\\r\\ntwo\\n\\nthree'; printf 'e1\\ne2\\r\\n' >&2; sleep 0.05; printf 'last' >&2`
      )
      expect(textOf(sink, "stdout")).toEqual(["one", "two", "", "three"])
      expect(textOf(sink, "stderr")).toEqual(["e1", "e2", "last"])
    }))

  it.live("a 200 KiB line is split into 64 KiB pieces", () =>
    Effect.gen(function* () {
      const { sink } = yield* run(`head -c 204800 /dev/zero | tr '\\0' 'x'; echo; echo after`)
      const out = textOf(sink, "stdout")
      expect(out.map((l) => l.length)).toEqual([65536, 65536, 65536, 8192, 5])
      expect(out.slice(0, 4).join("")).toBe("x".repeat(204800))
      expect(out[4]).toBe("after")
    }))

  it.live("multi-byte UTF-8 split across writes stays intact", () =>
    Effect.gen(function* () {
      // "é" = c3 a9 and "😀" = f0 9f 98 80, each written in two halves with a pause between them.
      const { sink } = yield* run(
        `printf 'caf\\303'; sleep 0.1; printf '\\251 \\360\\237'; sleep 0.1; printf '\\230\\200\\n'`
      )
      expect(textOf(sink, "stdout")).toEqual(["café 😀"])
    }))

  it.live("stdin is forwarded and closed", () =>
    Effect.gen(function* () {
      const { result, sink } = yield* run("cat", { stdin: "hello\nworld\n" })
      expect(result).toEqual({ _tag: "Exited", code: 0 })
      expect(textOf(sink, "stdout")).toEqual(["hello", "world"])
    }))

  it.live("without stdin the job reads an empty, closed input", () =>
    Effect.gen(function* () {
      const { result, sink } = yield* run("cat; echo done")
      expect(result).toEqual({ _tag: "Exited", code: 0 })
      expect(textOf(sink, "stdout")).toEqual(["done"])
    }))

  it.live("a missing cwd fails with SpawnFailed naming the directory", () =>
    Effect.gen(function* () {
      const missing = join(dir, "does-not-exist")
      const error = yield* Effect.flip(run("true", { cwd: missing }))
      expect(error._tag).toBe("SpawnFailed")
      if (error._tag === "SpawnFailed") {
        expect(error.cwd).toBe(missing)
        expect(error.message).toContain(missing)
      }
    }))

  it.live("a command too long for exec (E2BIG, e.g. thousands of {staged_files}) is SpawnFailed saying why", () =>
    Effect.gen(function* () {
      // One argument over Linux's 128 KiB MAX_ARG_STRLEN: spawn throws instead of emitting "error".
      const error = yield* Effect.flip(run(`echo ${"src/some/file.ts ".repeat(10000)}`))
      expect(error._tag).toBe("SpawnFailed")
      expect(error.message).toContain("E2BIG")
      expect(error.message).toContain("{staged_files}")
    }))

  it.live("a NUL byte in the command or in an env value is SpawnFailed, not a defect", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(run("echo a\0b")))._tag).toBe("SpawnFailed")
      expect((yield* Effect.flip(run("true", { env: { BAD: "a\0b" } })))._tag).toBe("SpawnFailed")
    }))

  it.live("the job sees exactly the env it was given, nothing of the supervisor's", () =>
    Effect.gen(function* () {
      process.env.HOOKD_TEST_SUPERVISOR_ONLY = "leak"
      try {
        const { sink } = yield* run("env", { env: { PATH: "/usr/bin:/bin", JOB_VAR: "a b=c" } })
        const out = textOf(sink, "stdout")
        expect(out).toContain("JOB_VAR=a b=c")
        expect(out).toContain("PATH=/usr/bin:/bin")
        expect(out.some((l) => l.startsWith("HOOKD_TEST_SUPERVISOR_ONLY="))).toBe(false)
      } finally {
        delete process.env.HOOKD_TEST_SUPERVISOR_ONLY
      }
    }))

  it.live("the job runs in the given cwd", () =>
    Effect.gen(function* () {
      const { sink } = yield* run("pwd -P")
      expect(textOf(sink, "stdout")).toEqual([realpathSync(dir)])
    }))
})
