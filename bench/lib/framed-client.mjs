// The benchmarks talk to the supervisor through the protocol's own client (src/protocol/client.ts).
import { importBundled } from "./bundle.mjs"

export const { FramedClient } = await importBundled("protocol-client", { entryPoints: ["src/protocol/client.ts"] })

/** The next answer with the moment it was read ({frame, receivedAt}: epoch ms, sub-ms precision). */
export const nextTimed = async (client, timeoutMs = 30_000) => {
  const frame = await client.next({ timeoutMs })
  return { frame, receivedAt: client.lastArrivalMs }
}

/** The payload of an answer of the expected kind; anything else (an Error frame) throws with its text. */
export const payloadOf = (frame, kind) => {
  if (frame.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(frame).slice(0, 300)}`)
  return frame.payload
}

/** One request on a fresh connection. */
export const requestOnce = async (socketPath, req, payload, kind, timeoutMs = 30_000) => {
  const c = await FramedClient.connect(socketPath)
  try {
    return payloadOf(await c.request(req, payload, timeoutMs), kind)
  } finally {
    c.close()
  }
}

const HELLO = { client: "bench", client_version: "0" }

/**
 * Connects again and again (every 2 ms) until the supervisor answers Hello; resolves with the
 * moment (performance.now()) the Welcome arrived. The supervisor's "first answer" however it starts.
 */
export const firstWelcome = async (socketPath, timeoutMs = 30_000) => {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    try {
      await requestOnce(socketPath, "Hello", HELLO, "Welcome", Math.max(1, deadline - performance.now()))
      return performance.now()
    } catch (e) {
      if (performance.now() > deadline) throw new Error(`no Welcome within ${timeoutMs} ms: ${e instanceof Error ? e.message : e}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }
}
