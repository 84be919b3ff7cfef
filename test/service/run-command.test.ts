// The one place that talks to systemctl/launchctl: it must report a missing tool, capture output,
// and kill a command (with everything it started) that does not finish in time.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { runCommand } from "../../src/service/run-command"
import { makeServiceSandbox, type ServiceSandbox } from "./helpers"

let sb: ServiceSandbox
beforeEach(() => {
  sb = makeServiceSandbox()
})
afterEach(() => sb.cleanup())

const env = () => ({ PATH: `${sb.bin}:/usr/bin:/bin` })

/** Alive = has a /proc entry that is not a zombie. */
const isAlive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

/** SIGKILL is delivered asynchronously and there is no event for a non-child's death: poll /proc briefly. */
const deadWithin = async (pid: number, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return !isAlive(pid)
}

describe("runCommand", () => {
  it("reports a program that is not on PATH as missing", async () => {
    expect(await runCommand(["systemctl", "--user", "daemon-reload"], { PATH: sb.bin }, 1_000)).toEqual({ kind: "missing" })
  })

  it("captures exit status, stdout and stderr, with stdin closed", async () => {
    const r = await runCommand(["/bin/sh", "-c", "cat; echo out; echo err >&2; exit 3"], env(), 2_000)
    expect(r).toEqual({ kind: "exited", code: 3, signal: null, stdout: "out\n", stderr: "err\n" })
  })

  it("kills a command that outlives its timeout, including the processes it started", async () => {
    const pidFile = join(sb.dir, "grandchild.pid")
    const r = await runCommand(["/bin/sh", "-c", `sleep 60 & echo $! > '${pidFile}'; wait`], env(), 300)
    expect(r).toEqual({ kind: "timed-out", afterMs: 300 })
    const grandchild = Number(readFileSync(pidFile, "utf8").trim())
    // Killed, it goes at once; the bound only has to be well short of `sleep 60` on a loaded machine.
    expect(await deadWithin(grandchild, 10_000)).toBe(true)
  })
})
