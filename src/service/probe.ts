// Asks a running supervisor who it is (Hello → Welcome), without ever starting one.
import { ConnectError, ConnectionFailed, FramedClient } from "../protocol/client"

export const PROBE_TIMEOUT_MS = 1_000

export type SupervisorProbe =
  | { readonly running: true; readonly pid: number; readonly version: string; readonly stateDir: string }
  | { readonly running: false; readonly reason: string }

const NOT_LISTENING: Readonly<Record<string, string>> = {
  ENOENT: "no socket file",
  ECONNREFUSED: "nobody accepts on the socket (stale file)",
  EACCES: "permission denied on the socket"
}

const whyNot = (e: unknown, timeoutMs: number): string => {
  const late = `no answer within ${timeoutMs / 1000} s`
  if (e instanceof ConnectError) return e.errno === "ETIMEDOUT" ? late : (NOT_LISTENING[e.errno] ?? e.message)
  if (!(e instanceof ConnectionFailed)) return String(e)
  if (e.reason === "timeout") return late
  if (e.reason === "closed") return "the connection closed without an answer"
  return e.reason === "bad-answer" ? `unreadable answer (${e.message})` : e.message
}

export const probeSupervisor = async (path: string, clientVersion: string, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<SupervisorProbe> => {
  let client: FramedClient | undefined
  try {
    client = await FramedClient.connect(path, { timeoutMs })
    const reply = await client.request("Hello", { client: "hookctl", client_version: clientVersion }, timeoutMs)
    if (reply.kind === "Welcome") {
      return { running: true, pid: reply.payload.pid, version: reply.payload.server_version, stateDir: reply.payload.state_dir }
    }
    return { running: false, reason: `answered ${reply.kind}${reply.kind === "Error" ? `: ${reply.payload.message}` : ""}` }
  } catch (e) {
    return { running: false, reason: whyNot(e, timeoutMs) }
  } finally {
    client?.close()
  }
}
