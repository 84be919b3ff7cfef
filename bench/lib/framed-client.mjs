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
export const firstWelcome = async (socketPath, timeoutMs = 30_000) => (await firstAnswers(socketPath, timeoutMs, false)).welcomeAt

/**
 * As firstWelcome, then a Status on the same connection: `statusAt` is when the first answer that
 * needs the whole supervisor arrived (a first stage answers the Welcome alone: SPEC's handshake,
 * docs/operations.md), which is what `hookctl status` after an autostart waits for.
 */
export const firstAnswers = async (socketPath, timeoutMs = 30_000, withStatus = true) => {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    let c
    try {
      c = await FramedClient.connect(socketPath)
      payloadOf(await c.request("Hello", HELLO, Math.max(1, deadline - performance.now())), "Welcome")
      const welcomeAt = performance.now()
      if (!withStatus) return { welcomeAt }
      const status = await c.request("Status", {}, Math.max(1, deadline - performance.now()))
      if (status.kind === "Error") throw new Error(`Status answered ${JSON.stringify(status).slice(0, 300)}`)
      return { welcomeAt, statusAt: performance.now() }
    } catch (e) {
      if (performance.now() > deadline) throw new Error(`no Welcome and Status within ${timeoutMs} ms: ${e instanceof Error ? e.message : e}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    } finally {
      c?.close()
    }
  }
}
