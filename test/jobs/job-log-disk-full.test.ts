// A job log on a full disk (issue 14 item 3), on a real tmpfs: a write that does not fit is cut
// back to the last whole record (never a torn line followed by more records), the failure is
// reported once, output stops, and the terminal record still lands once space is back.
import { readFileSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describeWriteError, JobLog } from "../../src/jobs/job-log"
import { mountTmpfs, type Tmpfs } from "../support/tmpfs"

let disk: Tmpfs | { readonly skipped: string }
beforeAll(() => {
  disk = mountTmpfs(1)
  if ("skipped" in disk) console.warn(`job log disk-full tests skipped: ${disk.skipped}`)
})
afterAll(() => {
  if (!("skipped" in disk)) disk.unmount()
})

const lines = (path: string) => readFileSync(path, "utf8").split("\n")

describe("JobLog on a full disk", () => {
  it("a record that does not fit is cut back to the last whole one; the failure is reported once and output stops", (ctx) => {
    if ("skipped" in disk) return ctx.skip()
    const path = join(disk.dir, "logs", "a", "output.jsonl")
    const log = JobLog.open(path)
    log.status({ event: "started", pid: 7 })
    const filler = disk.fill()
    const failures: string[] = []
    log.onWriteFailed((e) => failures.push(describeWriteError(e)))
    // Fills what is left of the log file's last page, then fails part-way: a short write.
    for (let i = 0; i < 20; i++) log.append("stdout", `line ${i} ${"x".repeat(1500)}`)
    expect(failures).toEqual(["no space left on device"])
    expect(log.writeError).toBeDefined()
    const onDisk = lines(path)
    expect(onDisk.at(-1)).toBe("")
    for (const line of onDisk.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow()
    expect(log.bytes).toBe(statSync(path).size)
    const written = onDisk.length - 1

    // Output is dropped from now on (the job is being ended); a later listener hears of it at once.
    log.append("stdout", "after the failure")
    const late: string[] = []
    log.onWriteFailed((e) => late.push(describeWriteError(e)))
    expect(late).toEqual(["no space left on device"])
    rmSync(filler)
    log.append("stdout", "space is back, but this job's output already has a gap")
    expect(log.status({ event: "crashed", message: "log write failed: no space left on device" })).toBeDefined()
    log.close()
    const records = lines(path).filter((l) => l !== "").map((l) => JSON.parse(l))
    expect(records).toHaveLength(written + 1)
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i))
    expect(records.at(-1)).toMatchObject({ kind: "status", data: { event: "crashed" } })
  })
})
