import { spawn } from "node:child_process"
import { once } from "node:events"
import { describe, expect, it } from "vitest"
import { processFingerprint, startTimeFromStat } from "../../src/jobs/fingerprint"

describe("processFingerprint", () => {
  it("our own process has one, of the form <boot id>:<start time>", () => {
    expect(processFingerprint(process.pid)).toMatch(/^[^:]+:.+$/)
  })

  it("is the same across two calls for one process", () => {
    expect(processFingerprint(process.pid)).toBe(processFingerprint(process.pid))
  })

  it("differs between two processes started at different times", async () => {
    const child = spawn("sleep", ["5"])
    try {
      await once(child, "spawn")
      expect(processFingerprint(child.pid!)).toBeDefined()
      expect(processFingerprint(child.pid!)).not.toBe(processFingerprint(process.pid))
    } finally {
      child.kill("SIGKILL")
    }
  })

  it("is undefined for a process that has exited and been reaped", async () => {
    const child = spawn("true")
    await once(child, "exit")
    expect(processFingerprint(child.pid!)).toBeUndefined()
  })

  it("is undefined for pids that cannot exist", () => {
    expect(processFingerprint(0)).toBeUndefined()
    expect(processFingerprint(-1)).toBeUndefined()
    expect(processFingerprint(4194305)).toBeUndefined()
  })
})

describe("startTimeFromStat", () => {
  it("reads field 22 even when the command name contains spaces and parentheses", () => {
    const stat = "4242 (evil ) name (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
    expect(startTimeFromStat(stat)).toBe("987654")
  })
})
