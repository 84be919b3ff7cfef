// Asks a running supervisor who it is (Hello → Welcome), without ever starting one.
import { connect } from "node:net"
import { encodeFrame, FrameDecoder, parseFrameBody } from "../protocol/framing"
import { PROTOCOL_VERSION, type ResponsePayloads } from "../protocol/types"

export const PROBE_TIMEOUT_MS = 1_000

export type SupervisorProbe =
  | { readonly running: true; readonly pid: number; readonly version: string; readonly stateDir: string }
  | { readonly running: false; readonly reason: string }

const NOT_LISTENING: Readonly<Record<string, string>> = {
  ENOENT: "no socket file",
  ECONNREFUSED: "nobody accepts on the socket (stale file)",
  EACCES: "permission denied on the socket"
}

export const probeSupervisor = (path: string, clientVersion: string, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<SupervisorProbe> =>
  new Promise((resolve) => {
    const socket = connect({ path })
    const decoder = new FrameDecoder()
    let settled = false
    const finish = (result: SupervisorProbe) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => finish({ running: false, reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs)
    socket.on("connect", () =>
      socket.write(encodeFrame({ v: PROTOCOL_VERSION, id: "service-status", req: "Hello", payload: { client: "hookctl", client_version: clientVersion } }))
    )
    socket.on("data", (chunk) => {
      try {
        const [body] = decoder.push(chunk)
        if (body === undefined) return
        const reply = parseFrameBody(body) as { kind?: unknown; payload?: unknown }
        if (reply.kind === "Welcome") {
          const w = reply.payload as ResponsePayloads["Welcome"]
          finish({ running: true, pid: w.pid, version: w.server_version, stateDir: w.state_dir })
        } else {
          const e = reply.payload as Partial<ResponsePayloads["Error"]> | undefined
          finish({ running: false, reason: `answered ${String(reply.kind)}${e?.message ? `: ${e.message}` : ""}` })
        }
      } catch (e) {
        finish({ running: false, reason: `unreadable answer: ${(e as Error).message}` })
      }
    })
    socket.on("error", (e: NodeJS.ErrnoException) =>
      finish({ running: false, reason: NOT_LISTENING[e.code ?? ""] ?? e.message })
    )
    socket.on("close", () => finish({ running: false, reason: "the connection closed without an answer" }))
  })
