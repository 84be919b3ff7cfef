// Switches a developer reaches for, with real git: `HOOKD=0` turns every shim off before node starts.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
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
