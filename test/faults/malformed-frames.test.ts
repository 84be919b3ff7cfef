// Fault: malformed frames of many kinds against a live supervisor. Every frame gets a typed
// error (never INTERNAL, never silence), a header over the cap closes only that connection, and
// the supervisor keeps serving. Figures: frames sent, typed errors by code. Short form: 3 of each
// kind; HOOKD_FAULTS=full: 56 of each (about 1,000 frames, as the original fault run).
import { describe, expect, it } from "vitest"
import { PROTOCOL_VERSION } from "../../src/protocol/types"
import { TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { payloadOf, useSupervisor } from "../e2e/helpers"
import { figures, scale } from "./support"

const EACH = scale(3, 56)

let sandbox: Sandbox
let hookd: RunningSupervisor
useSupervisor({}, (started) => ({ sandbox, hookd } = started))

const framed = (body: Buffer | string): Buffer => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
  const header = Buffer.alloc(4)
  header.writeUInt32BE(bytes.length)
  return Buffer.concat([header, bytes])
}
const envelope = (value: Record<string, unknown>) => framed(JSON.stringify(value))
const v = PROTOCOL_VERSION

/** Each kind of malformed frame, and whether the server closes the connection after answering. */
const KINDS: ReadonlyArray<{ readonly name: string; readonly bytes: Buffer; readonly closes?: boolean }> = [
  { name: "not JSON", bytes: framed("this is not json") },
  { name: "a JSON array", bytes: framed("[1,2,3]") },
  { name: "a JSON number", bytes: framed("42") },
  { name: "a JSON string", bytes: framed('"hello"') },
  { name: "JSON null", bytes: framed("null") },
  { name: "an empty body", bytes: framed("") },
  { name: "invalid UTF-8", bytes: framed(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])) },
  { name: "deeply nested JSON", bytes: framed("[".repeat(200_000) + "]".repeat(200_000)) },
  { name: "a wrong v", bytes: envelope({ v: v + 1, id: "1", req: "Status", payload: {} }) },
  { name: "no v", bytes: envelope({ id: "1", req: "Status", payload: {} }) },
  { name: "an unknown request", bytes: envelope({ v, id: "1", req: "Frobnicate", payload: {} }) },
  { name: "no req", bytes: envelope({ v, id: "1", payload: {} }) },
  { name: "an id that is not a string", bytes: envelope({ v, id: 5, req: "Status", payload: {} }) },
  { name: "RunJobs without payload", bytes: envelope({ v, id: "1", req: "RunJobs" }) },
  { name: "RunJobs with a string payload", bytes: envelope({ v, id: "1", req: "RunJobs", payload: "x" }) },
  { name: "RunJobs with jobs not a list", bytes: envelope({ v, id: "1", req: "RunJobs", payload: { repo_root: "/", worktree: "/", hook: "h", args: [], env: {}, mode: "auto", wait: false, jobs: 7 } }) },
  { name: "GetJob with a malformed invocation prefix", bytes: envelope({ v, id: "1", req: "GetJob", payload: { job: { repo_root: "/", invocation_prefix: "zz!", name: "x" } } }) },
  { name: "a header over the cap", bytes: Buffer.from([0x7f, 0xff, 0xff, 0xff]), closes: true }
]

describe("fault: malformed frames", () => {
  it(`${KINDS.length} kinds × ${EACH}: each gets a typed error and the supervisor keeps serving`, async () => {
    const byCode = new Map<string, number>()
    const untyped: string[] = []
    let sent = 0
    try {
      for (let round = 0; round < EACH; round++) {
        for (const kind of KINDS) {
          const c = await TestClient.connect(sandbox.socket)
          try {
            await c.write(kind.bytes)
            sent++
            const answer = await c.next({ timeoutMs: 10_000, what: kind.name })
            const code = answer.kind === "Error" ? (answer.payload as { code: string }).code : undefined
            if (code === undefined || code === "INTERNAL") untyped.push(`${kind.name}: ${JSON.stringify(answer).slice(0, 200)}`)
            else byCode.set(code, (byCode.get(code) ?? 0) + 1)
            if (kind.closes) await c.closed
            else expect(payloadOf(await c.request("Status", {}), "SupervisorStatus").pid).toBe(hookd.pid)
          } finally {
            c.close()
          }
        }
      }
      expect(untyped).toEqual([])
      const c = await TestClient.connect(sandbox.socket)
      expect(payloadOf(await c.request("Status", {}), "SupervisorStatus").pid).toBe(hookd.pid)
      c.close()
    } finally {
      const typed = [...byCode.values()].reduce((a, b) => a + b, 0)
      figures("malformed frames", { kinds: KINDS.length, frames: sent, typed_errors: typed, untyped: untyped.length, by_code: [...byCode].map(([k, n]) => `${k}:${n}`).join(",") })
    }
  }, scale(60_000, 300_000))
})
