// Issue 14 item 6: connections that trickle a frame one byte at a time must not lock the user out.
// 300 loopback connections each send a frame header's first byte, then one byte every 200 ms (which
// keeps the 30 s partial-frame timer from ever firing). The supervisor must cut them at the whole-frame
// deadline (HOOKD_FRAME_DEADLINE_MS, 3 s here), keep its last slots for connections that complete a
// frame promptly, and `hookctl status` must answer — or say BUSY — never fail with EPIPE.
import { spawn } from "node:child_process"
import { connect, type Socket } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { HOOKCTL_BIN, type Sandbox } from "../support/supervisor"
import { useSupervisor } from "../e2e/helpers"

let sandbox: Sandbox

useSupervisor({ HOOKD_FRAME_DEADLINE_MS: "3000" }, (started) => ({ sandbox } = started))

const TRICKLERS = 300
/** 256 connections, of which the last 16 are kept for connections that send a whole frame promptly. */
const ORDINARY_SLOTS = 256 - 16

interface Trickler {
  readonly socket: Socket
  readonly closed: Promise<void>
}

const open = new Set<Trickler>()
afterEach(() => {
  for (const t of open) t.socket.destroy()
  open.clear()
})

/** A connection that sends a 64-byte frame's header one byte per 200 ms, then its body the same way. */
const trickle = (path: string): Promise<Trickler> =>
  new Promise((resolve, reject) => {
    const socket = connect({ path })
    const frame = Buffer.alloc(68, 0x20)
    frame.writeUInt32BE(64, 0)
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    const closed = new Promise<void>((done) =>
      socket.once("close", () => {
        clearInterval(timer)
        done()
      })
    )
    socket.on("error", () => {})
    socket.once("connect", () => {
      socket.write(frame.subarray(sent, ++sent))
      timer = setInterval(() => {
        if (sent < frame.length && !socket.destroyed) socket.write(frame.subarray(sent, ++sent))
      }, 200)
      const t = { socket, closed }
      open.add(t)
      resolve(t)
    })
    socket.once("error", reject)
  })

const hookctlStatus = (): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve) => {
    const child = spawn(HOOKCTL_BIN, ["status"], { env: { ...sandbox.env, HOOKD_NO_AUTOSTART: "1" } })
    let output = ""
    child.stdout.on("data", (d) => (output += d))
    child.stderr.on("data", (d) => (output += d))
    child.on("close", (code) => resolve({ code, output }))
  })

describe("slow-trickle connections (issue 14 item 6)", () => {
  it("300 tricklers: hookctl status answers or says BUSY (never EPIPE), and the frame deadline cuts every trickler", async () => {
    const tricklers = await Promise.all(Array.from({ length: TRICKLERS }, () => trickle(sandbox.socket)))

    // While every ordinary slot is held by a trickler.
    const during = await hookctlStatus()
    expect(during.output).not.toMatch(/EPIPE|ECONNRESET/)
    if (during.code !== 0) expect(during.output).toMatch(/busy/i)

    // The connections past the ordinary slots are refused or cut (reserved slots need a prompt frame)…
    let closedCount = 0
    const beyondOrdinary = new Promise<void>((resolve) => {
      for (const t of tricklers)
        void t.closed.then(() => {
          if (++closedCount === TRICKLERS - ORDINARY_SLOTS) resolve()
        })
    })
    await beyondOrdinary
    // …and the status answers then.
    const after = await hookctlStatus()
    expect(after.output).not.toMatch(/EPIPE|ECONNRESET/)
    expect(after.code, after.output).toBe(0)

    // The whole-frame deadline (3 s from each frame's first byte) cuts the rest, though bytes keep coming.
    await Promise.all(tricklers.map((t) => t.closed))
    expect(closedCount).toBe(TRICKLERS)
    const last = await hookctlStatus()
    expect(last.code, last.output).toBe(0)
  }, 60_000)
})
