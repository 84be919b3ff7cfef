// Switches a developer reaches for, with real git and real supervisors: `HOOKD=0` turns every shim
// off before node starts, and an autostarted hookd leaves when idle (HOOKD_IDLE_EXIT).
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { JobInfo } from "../../src/protocol/types"
import { supervisorLogPath } from "../../src/protocol/paths"
import { repoWithHookdConfig, runGit } from "../support/git"
import { hookctl } from "../support/hookctl"
import { awaitProcessGone } from "../support/processes"
import { makeSandbox, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox
let counter = 0
let autostarted: number | undefined

beforeAll(() => {
  sandbox = makeSandbox()
})
afterEach(async () => {
  if (autostarted === undefined) return
  await hookctl(sandbox, sandbox.dir, ["shutdown"], { HOOKD_NO_AUTOSTART: "1" })
  await awaitProcessGone(autostarted).catch(() => process.kill(autostarted!, "SIGKILL"))
  autostarted = undefined
})
afterAll(() => sandbox?.cleanup())

const repoWith = (config: string) =>
  repoWithHookdConfig(join(sandbox.dir, `repo${counter++}`), sandbox.env, config, (repo) => hookctl(sandbox, repo, ["hooks", "install"]))

describe("HOOKD=0", () => {
  it("makes the shim exit 0 before anything else runs: no hookctl, no node, a failing pre-commit job does not block", async () => {
    const repo = await repoWith("hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'false'}\n")
    // The shim execs HOOKD_HOOKCTL first when it is set: a recorder there proves what ran.
    const ran = join(sandbox.dir, `ran${counter}`)
    const recorder = join(sandbox.dir, `recorder${counter}`)
    writeFileSync(recorder, `#!/bin/sh\necho "$@" >> '${ran}'\nexit 1\n`)
    chmodSync(recorder, 0o755)
    const env = { ...sandbox.env, HOOKD_HOOKCTL: recorder, HOOKD_NO_AUTOSTART: "1" }

    const off = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "off"], { ...env, HOOKD: "0" })
    expect(off.code, off.stderr).toBe(0)
    expect(existsSync(ran)).toBe(false)

    // Control: the same commit without HOOKD=0 reaches the recorder (which refuses it).
    const on = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "on"], env)
    expect(on.code).not.toBe(0)
    expect(readFileSync(ran, "utf8")).toBe("run-hook pre-commit --\n")
  })

  it("HOOKD=1 and other values leave the hooks on", async () => {
    const repo = await repoWith("hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'false'}\n")
    for (const value of ["1", "", "false"]) {
      const r = await runGit(repo, ["commit", "-q", "--allow-empty", "-m", "x"], { ...sandbox.env, HOOKD: value, HOOKD_NO_AUTOSTART: "1" })
      expect(r.code, `HOOKD=${value}`).not.toBe(0)
    }
  })
})

describe("an autostarted supervisor", () => {
  const statusPid = async (repo: string, env: Record<string, string> = {}) => {
    const r = await hookctl(sandbox, repo, ["status", "--json"], env)
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as { pid: number }).pid
  }

  it("with HOOKD_IDLE_EXIT=2s exits once idle, and not while a job runs (the job ends completed, not cancelled)", async () => {
    const repo = await repoWith("hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - {name: slow, run: 'sleep 4; echo done'}\n")
    const env = { ...sandbox.env, HOOKD_IDLE_EXIT: "2s" }
    const r = await runGit(repo, ["checkout", "-q", "-b", "idle"], env) // autostarts hookd
    expect(r.code, r.stderr).toBe(0)
    const pid = await statusPid(repo, { HOOKD_IDLE_EXIT: "2s" })
    autostarted = pid

    await awaitProcessGone(pid, 30_000)
    autostarted = undefined
    const log = readFileSync(supervisorLogPath(sandbox.stateDir), "utf8")
    expect(log).toContain("idle_exit")

    // Read the record with a supervisor that never idles out: had hookd left while `slow` ran,
    // shutdown would have cancelled it.
    const listed = await hookctl(sandbox, repo, ["ls", "--json"], { HOOKD_IDLE_EXIT: "0" })
    expect(listed.code, listed.stderr).toBe(0)
    autostarted = await statusPid(repo, { HOOKD_IDLE_EXIT: "0" })
    const slow = (JSON.parse(listed.stdout) as JobInfo[]).find((j) => j.name === "slow")
    expect(slow?.status).toBe("completed")
  })

  it("an invalid HOOKD_IDLE_EXIT is named, and nothing is started", async () => {
    const r = await hookctl(sandbox, sandbox.dir, ["ls"], { HOOKD_IDLE_EXIT: "soon" })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('HOOKD_IDLE_EXIT must be a duration like 30m, 2h or 0 (never), got "soon"')
  })
})
