// Store on a full disk (issue 14 item 3): writes fail while there is no space, and the same open
// store works again once space is freed — no statement stays poisoned by its failed step.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { rmSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import { openRepoStore } from "../../src/store/open"
import { mountTmpfs, type Tmpfs } from "../support/tmpfs"
import { invocation, job } from "./helpers"

let disk: Tmpfs | { readonly skipped: string }
beforeAll(() => {
  disk = mountTmpfs(4)
  if ("skipped" in disk) console.warn(`store disk-full test skipped: ${disk.skipped}`)
})
afterAll(() => {
  if (!("skipped" in disk)) disk.unmount()
})

/** Rows big enough that a few of them cannot fit in the WAL of a full disk. */
const bigJob = (invocationId: string, name: string) => job({ invocation_id: invocationId, name, command: "x".repeat(200_000) })

describe("Store on a full disk", () => {
  it.scopedLive("fails writes with the disk's error, then recovers by itself once space is freed", () =>
    Effect.gen(function* () {
      if ("skipped" in disk) return
      const dir = disk.dir
      const store = yield* openRepoStore({ dbPath: join(dir, "repos", "0123456789abcdef", "coordinator.db"), repoId: "0123456789abcdef", root: "/repo" })
      yield* store.insertInvocation(invocation({ invocation_id: "aaaa000000000001" }), [job({ invocation_id: "aaaa000000000001" })])
      const filler = disk.fill()

      // Every kind of write fails while the disk is full: an insert, a patch, a status update.
      const failures: string[] = []
      for (let i = 0; i < 5; i++) {
        const id = `cccc00000000000${i}`
        const error = yield* Effect.flip(store.insertInvocation(invocation({ invocation_id: id }), [bigJob(id, "a"), bigJob(id, "b")]))
        failures.push(error.message)
      }
      const patch = yield* Effect.either(store.updateJob("aaaa000000000001", "install", { status: "running", error: "y".repeat(500_000) }))
      expect(failures.join("\n")).toMatch(/full|disk I\/O error/i)
      expect(failures.join("\n")).not.toMatch(/Could not reset/)
      // Each says what to do (the client gets this instead of INTERNAL).
      for (const f of failures) expect(f).toMatch(/is full \(no space left on device\): free some space/)
      // Reads still answer (Status, listings) while nothing can be written.
      expect((yield* store.getJob("aaaa000000000001", "install"))?.status).toBe("queued")

      rmSync(filler)
      // The same store, no reopen: every statement that failed works again.
      yield* store.insertInvocation(invocation({ invocation_id: "dddd000000000001" }), [bigJob("dddd000000000001", "a")])
      yield* store.updateJob("aaaa000000000001", "install", { status: "completed", exit_code: 0 })
      yield* store.setInvocationStatus("aaaa000000000001", "completed")
      expect((yield* store.getJob("aaaa000000000001", "install"))?.status).toBe("completed")
      expect((yield* store.jobsOfInvocation("dddd000000000001")).map((j) => j.name)).toEqual(["a"])
      expect(patch._tag === "Left" ? patch.left.message : "patch fit").not.toMatch(/Could not reset/)
    })
  )
})
