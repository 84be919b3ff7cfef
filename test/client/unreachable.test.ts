// hookctl with no supervisor and autostart disabled: the built binary, real git repos.
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCommand } from "../support/run"
import { HOOKCTL_BIN, initRepo, isolatedEnv, runHookctl, tempDir } from "./support"

describe("hookctl when no supervisor answers", () => {
  const temp = tempDir("hookctl-unreachable-")
  let repo: string
  let env: Record<string, string>

  beforeAll(() => {
    env = isolatedEnv(join(temp.dir, "home"), {
      HOOKD_SOCKET: join(temp.dir, "nobody-listens.sock"),
      HOOKD_STATE_DIR: join(temp.dir, "state"),
      HOOKD_NO_AUTOSTART: "1"
    })
    repo = initRepo(temp.dir, env)
  })
  afterAll(() => temp.cleanup())

  const writeConfig = (yaml: string) => writeFileSync(join(repo, "hookd.yml"), yaml)

  it("ls exits 3 and says how to start the supervisor", async () => {
    const r = await runHookctl(["ls"], { cwd: repo, env })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("cannot reach the hookd supervisor")
    expect(r.stderr).toContain("hookctl service install")
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  it("in a deleted current directory: says so and how to go on, not 'internal error'", async () => {
    const gone = join(temp.dir, "deleted-cwd")
    const script = `mkdir '${gone}' && cd '${gone}' && rmdir '${gone}' && exec "$0" "$@"`
    const r = await runCommand("sh", ["-c", script, process.execPath, HOOKCTL_BIN, "ls"], { cwd: temp.dir, env })
    expect(r.stderr).not.toContain("internal error")
    expect(r.stderr).toMatch(/^hookctl: the current directory no longer exists.*; cd to an existing directory/)
    expect(r.code).toBe(2)
  })

  it("run-hook of a background-only hook warns and exits 0", async () => {
    writeConfig("hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - name: install\n        run: npm install\n")
    const r = await runHookctl(["run-hook", "post-checkout", "--", "a", "b", "1"], { cwd: repo, env })
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^hookd: supervisor unreachable.*post-checkout/)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("run-hook of a hook with foreground jobs exits 3 with the fix", async () => {
    writeConfig("hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        run: npm run lint\n")
    const r = await runHookctl(["run-hook", "pre-commit"], { cwd: repo, env })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("pre-commit")
    expect(r.stderr).toContain("hookd")
  })

  it("a job-level background:false overrides a background hook", async () => {
    writeConfig(
      "hooks:\n  pre-push:\n    background: true\n    jobs:\n      - name: a\n        run: x\n      - name: b\n        run: y\n        background: false\n"
    )
    expect((await runHookctl(["run-hook", "pre-push"], { cwd: repo, env })).code).toBe(3)
    expect((await runHookctl(["run-hook", "pre-push", "--mode", "background"], { cwd: repo, env })).code).toBe(0)
  })

  it("an unparsable config fails safe (exit 3) in a blocking hook", async () => {
    writeConfig("hooks: [unclosed\n")
    const r = await runHookctl(["run-hook", "pre-commit"], { cwd: repo, env })
    expect(r.code).toBe(3)
  })

  it("a post-hook never fails git: foreground jobs or an unparsable config only warn (exit 0)", async () => {
    writeConfig("hooks:\n  post-merge:\n    jobs:\n      - name: b\n        run: y\n")
    const foreground = await runHookctl(["run-hook", "post-merge"], { cwd: repo, env })
    expect(foreground.code).toBe(0)
    expect(foreground.stderr).toContain("the post-merge hook ran no jobs; git goes on")
    writeConfig("hooks: [unclosed\n")
    expect((await runHookctl(["run-hook", "post-checkout"], { cwd: repo, env })).code).toBe(0)
  })

  it("a hook the config does not mention, or no config at all, does not block git", async () => {
    writeConfig("hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        run: x\n")
    expect((await runHookctl(["run-hook", "post-checkout"], { cwd: repo, env })).code).toBe(0)
    const empty = initRepo(join(temp.dir, "other"), env)
    const r = await runHookctl(["run-hook", "pre-commit"], { cwd: empty, env })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("unreachable")
  })

  it("outside a git repository: exit 4, hooks install included, before any supervisor is needed", async () => {
    const outside = join(temp.dir, "not-a-repo")
    mkdirSync(outside, { recursive: true })
    for (const args of [["hooks", "install"], ["hooks", "uninstall"], ["logs"], ["logs", "--failed"], ["wait"]]) {
      const r = await runHookctl(args, { cwd: outside, env: { ...env, GIT_CEILING_DIRECTORIES: temp.dir } })
      expect({ args, code: r.code }).toEqual({ args, code: 4 })
      expect(r.stderr).toContain("is not inside a git repository")
    }
  })

  it("bare hookctl prints the whole help on stderr and exits 2", async () => {
    const r = await runHookctl([], { cwd: repo, env })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    for (const command of ["status", "ls", "logs", "wait", "show", "cancel", "retry", "prune", "run-hook", "hooks", "service", "shutdown", "completion"]) {
      expect(r.stderr).toContain(`\n  ${command} `)
    }
  })

  it("usage errors still exit 2 without touching the socket", async () => {
    const r = await runHookctl(["ls", "--limit", "zero"], { cwd: repo, env })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("usage: hookctl ls")
  })
})
