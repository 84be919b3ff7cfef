// A supervisor that accepts connections but never answers (stopped with SIGSTOP, or wedged) must
// not hang git: a background-only hook warns and lets git go on, a foreground hook fails (exit 3).
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeGitRepo } from "../support/git"
import { hookctl } from "../support/hookctl"
import { makeSandbox, startSupervisor, type RunningSupervisor, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox
let hookd: RunningSupervisor
let repo: string

beforeAll(async () => {
  sandbox = makeSandbox()
  repo = makeGitRepo(join(sandbox.dir, "repo"), sandbox.env)
  writeFileSync(
    join(repo, "hookd.yml"),
    ["hooks:", "  post-checkout:", "    background: true", "    jobs:", "      - {name: bg, run: 'true'}", "  pre-commit:", "    jobs:", "      - {name: fg, run: 'true'}", ""].join("\n")
  )
  hookd = await startSupervisor(sandbox)
  hookd.proc.kill("SIGSTOP")
})

afterAll(async () => {
  hookd?.proc.kill("SIGCONT")
  try {
    await hookd?.stopCleanly()
  } finally {
    sandbox?.cleanup()
  }
})

const FAST = { HOOKD_ACCEPT_TIMEOUT_MS: "500" }

describe("a frozen supervisor", () => {
  it("a background-only hook warns and exits 0", async () => {
    const r = await hookctl(sandbox, repo, ["run-hook", "post-checkout", "--", "a", "b", "1"], FAST)
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/hookd did not answer RunJobs within/)
  })

  it("a hook with foreground jobs fails with exit 3", async () => {
    const r = await hookctl(sandbox, repo, ["run-hook", "pre-commit", "--"], FAST)
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/hookd did not answer RunJobs within/)
  })
})
