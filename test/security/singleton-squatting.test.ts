// Issue 14 item 4: abstract socket names have no permissions, so another user who listened on
// `@hookd-<uid>` made the victim's hookd print "already running" and exit. The name is now random
// per state dir, and a holder that does not prove it is the same user never counts as running.
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"
import { createOtherUser, isRoot, listenAs, SKIP_NOT_ROOT, type Listener, type OtherUser } from "../support/other-user"
import { payloadOf } from "../e2e/helpers"

if (!isRoot) console.warn(`singleton-squatting: skipped — ${SKIP_NOT_ROOT}`)

describe.skipIf(!isRoot)("another user squatting the singleton's abstract name", () => {
  let mallory: OtherUser
  let sandbox: Sandbox | undefined
  const listeners: Listener[] = []

  beforeAll(() => {
    mallory = createOtherUser()
  })
  afterEach(async () => {
    for (const l of listeners.splice(0)) await l.stop()
    sandbox?.cleanup()
  })
  afterAll(() => mallory?.remove())

  const uid = process.getuid!()

  it("the old, guessable name @hookd-<uid> no longer stops hookd from starting", async () => {
    sandbox = makeSandbox()
    listeners.push(await listenAs(mallory, `@hookd-${uid}`, "4242"))
    // A state dir other than the default had a suffixed but still guessable name: squat that too.
    const suffix = createHash("sha256").update(resolve(sandbox.stateDir)).digest("hex").slice(0, 12)
    listeners.push(await listenAs(mallory, `@hookd-${uid}-${suffix}`, "4242"))
    const hookd = await startSupervisor(sandbox)
    try {
      expect(hookd.output()).not.toContain("already running")
      const c = await TestClient.connect(sandbox.socket)
      expect(payloadOf(await c.request("Status", {}), "SupervisorStatus").pid).toBe(hookd.pid)
      c.close()
    } finally {
      await hookd.stopCleanly()
    }
  })

  it("a squatter on the current name (seen while hookd ran) is not believed, even naming a pid of ours", async () => {
    sandbox = makeSandbox()
    // A first run makes the random id; its name was visible in /proc/net/unix while it ran.
    await (await startSupervisor(sandbox)).stopCleanly()
    const id = readFileSync(join(sandbox.stateDir, "singleton-id"), "utf8").trim()
    listeners.push(await listenAs(mallory, `@hookd-${uid}-${id}`, String(process.pid)))

    const hookd = await startSupervisor(sandbox)
    try {
      expect(hookd.output()).not.toContain("already running")
      expect(hookd.output()).toContain("does not prove it is yours (it claims pid")
      expect(readFileSync(join(sandbox.stateDir, "singleton-id"), "utf8").trim()).not.toBe(id)
      // The real holder still proves itself: a second start says who runs.
      const second = await startSupervisor(sandbox).then(
        (s) => ({ started: true, output: s.output(), stop: () => s.stop("SIGKILL") }),
        (e: Error) => ({ started: false, output: e.message, stop: async () => undefined })
      )
      await second.stop()
      expect(second.started).toBe(false)
      expect(second.output).toContain(`already running (pid ${hookd.pid})`)
    } finally {
      await hookd.stopCleanly()
    }
  })
})
