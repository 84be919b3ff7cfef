// Issue 14 item 2: HOOKD_STATE_DIR=/x and HOOKD_STATE_DIR=/x-link (a symlink to /x) are one state
// dir. They got different singleton names, so a second supervisor started, "removed a stale lock"
// that was live, and its reconcile killed the first one's running job.
import { spawn } from "node:child_process"
import { symlinkSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { awaitStarted, getJob, job, payloadOf, runJobs, start } from "../e2e/helpers"
import { makeGitRepo } from "../support/git"
import { liveMembersOfGroup } from "../support/processes"
import { HOOKD_BUNDLE, makeSandbox, startSupervisor, TestClient, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

/** Runs a second hookd until it exits — or, wrongly, starts serving (then it is stopped at once). */
const runSecond = (env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const proc = spawn(process.execPath, [HOOKD_BUNDLE], { env, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (d: Buffer) => {
      output += d
      if (output.includes('"event":"started"')) proc.kill("SIGKILL")
    }
    proc.stdout.on("data", onData)
    proc.stderr.on("data", onData)
    proc.on("exit", (code) => resolve({ code, output }))
  })

describe("one state dir reached through a symlink", () => {
  it("the second supervisor says already running, and the first one's job keeps running", async () => {
    sandbox = makeSandbox()
    const link = join(sandbox.dir, "state-link")
    const repo = makeGitRepo(join(sandbox.dir, "repo"))
    const first = await startSupervisor(sandbox)
    try {
      const inv = await start(sandbox.socket, runJobs(repo, [job("long", "sleep 100")]))
      await awaitStarted(sandbox.socket, repo, inv, "long")
      const pgid = (await getJob(sandbox.socket, repo, inv, "long")).pid!
      symlinkSync(sandbox.stateDir, link)

      const second = await runSecond({ ...sandbox.env, HOOKD_STATE_DIR: link })
      expect(second.output).toContain(`already running (pid ${first.pid})`)
      expect(second.code).toBe(0)

      expect(liveMembersOfGroup(pgid).length).toBeGreaterThan(0)
      expect(await getJob(sandbox.socket, repo, inv, "long")).toMatchObject({ status: "running" })
      const c = await TestClient.connect(sandbox.socket)
      expect(payloadOf(await c.request("Status", {}), "SupervisorStatus").pid).toBe(first.pid)
      c.close()
    } finally {
      await first.stopCleanly()
    }
  })
})
