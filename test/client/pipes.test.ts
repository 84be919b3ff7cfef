// hookctl in a pipeline whose reader stops early (`hookctl logs x | head`, `hookctl logs x |& head`):
// it must end quietly with exit 0, whichever of stdout or stderr was closed.
import { spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import type { LogRecord } from "../../src/protocol/types"
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
