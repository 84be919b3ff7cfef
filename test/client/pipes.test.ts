// hookctl in a pipeline whose reader stops early (`hookctl logs x | head`, `hookctl logs x |& head`):
// it must end quietly with exit 0, whichever of stdout or stderr was closed. And with a reader that
// is slow, hookctl must not leave before all of its output is out (issue 13: `hookctl ls --json`
// once exited 0 with an empty stdout under load).
import { spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import type { JobInfo, LogRecord } from "../../src/protocol/types"
import { job } from "./job-info"
import { type Answer, useScriptedServer } from "./scripted-server"
import { HOOKCTL_BIN } from "./support"

const TS = 1_700_000_000_000
/** Enough records that hookctl is still writing long after the reader has gone. */
const RECORDS = 20_000

const replay = (kind: "stdout" | "stderr"): Answer[] => [
  ...Array.from({ length: RECORDS }, (_, seq): Answer => {
    const record: LogRecord = { seq, ts: TS + seq, kind, data: `line ${seq}` }
    return { kind: "StreamFrame", payload: { record } }
  }),
  { kind: "StreamEnd", payload: { reason: "replayed" } }
]

describe("hookctl with a reader that closes the pipe early", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-pipes-", (ready) => ({ repo, env } = ready))

  /** Runs `hookctl logs build`, closes `stream` after its first chunk; resolves with the exit code. */
  const closeEarly = (stream: "stdout" | "stderr"): Promise<{ code: number | null; other: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [HOOKCTL_BIN, "logs", "build"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] })
      const closed = stream === "stdout" ? child.stdout : child.stderr
      const other = stream === "stdout" ? child.stderr : child.stdout
      let otherText = ""
      other.on("data", (d) => (otherText += d))
      closed.once("data", () => closed.destroy())
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, other: otherText }))
    })

  it("stdout closed early (`| head`): exit 0, nothing on stderr", async () => {
    await serve(() => ({ answers: replay("stdout") }))
    const r = await closeEarly("stdout")
    expect(r.other).toBe("")
    expect(r.code).toBe(0)
  })

  it("stderr closed early (`|& head`, stderr records): exit 0, not a crash", async () => {
    await serve(() => ({ answers: replay("stderr") }))
    const r = await closeEarly("stderr")
    expect(r.other).toBe("")
    expect(r.code).toBe(0)
  })
})

/** Far more than a pipe holds (64 KiB–a few hundred KiB), so most of it waits in hookctl for the reader. */
const MANY_JOBS: JobInfo[] = Array.from({ length: 4000 }, (_, i) => job({ name: `job-${i}`, command: `echo ${"x".repeat(200)} ${i}` }))

describe("hookctl with a slow reader", () => {
  let repo: string
  let env: Record<string, string>
  const { serve } = useScriptedServer("hookctl-slow-reader-", (ready) => ({ repo, env } = ready))

  /** Runs hookctl; its stdout is read a chunk at a time with a pause after each (a slow `| reader`). */
  const readSlowly = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; chunks: number }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [HOOKCTL_BIN, ...args], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] })
      const parts: Buffer[] = []
      let stderr = ""
      child.stderr.on("data", (d) => (stderr += d))
      child.stdout.on("data", (chunk: Buffer) => {
        parts.push(chunk)
        child.stdout.pause()
        setTimeout(() => child.stdout.resume(), 2)
      })
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, stdout: Buffer.concat(parts).toString("utf8"), stderr, chunks: parts.length }))
    })

  it("`ls --json` into a slow reader: every byte arrives, then exit 0", async () => {
    await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: MANY_JOBS } }] }))
    const r = await readSlowly(["ls", "--json"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.chunks).toBeGreaterThan(1) // the reader really was behind: the output came in pieces
    expect(JSON.parse(r.stdout)).toEqual(MANY_JOBS)
  })

  it("`logs` into a slow reader: every line arrives, in order", async () => {
    await serve(() => ({ answers: replay("stdout") }))
    const r = await readSlowly(["logs", "build"])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(Array.from({ length: RECORDS }, (_, seq) => `line ${seq}\n`).join(""))
  })
})
