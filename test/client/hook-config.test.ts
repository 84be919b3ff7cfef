// Which hooks need git to wait — decided without the supervisor (fail safe = foreground).
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import {
  configuredHookNames,
  decideWithoutSupervisor,
  findConfigFile,
  hookHasForegroundJobs
} from "../../src/client/hook-config"
import { tempDir } from "./support"

describe("hookHasForegroundJobs", () => {
  const doc = (hook: unknown) => ({ hooks: { h: hook } })
  it.each([
    ["a job with no background anywhere", doc({ jobs: [{ name: "a" }] }), true],
    ["background hook", doc({ background: true, jobs: [{ name: "a" }, { name: "b" }] }), false],
    ["background job", doc({ jobs: [{ name: "a", background: true }] }), false],
    ["job false overrides hook true", doc({ background: true, jobs: [{ name: "a", background: false }] }), true],
    ["job true overrides hook false", doc({ background: false, jobs: [{ name: "a", background: true }] }), false],
    ["no jobs", doc({ jobs: [] }), false],
    ["hook absent", { hooks: { other: { jobs: [{ name: "a" }] } } }, false],
    ["empty document", null, false],
    ["background not a boolean", doc({ background: "yes", jobs: [{ name: "a" }] }), true],
    ["jobs not a list", doc({ jobs: { name: "a" } }), true],
    ["document not a mapping", ["x"], true]
  ])("%s → %s", (_name, document, expected) => {
    expect(hookHasForegroundJobs([document], "h")).toBe(expected)
  })
  it("hookd-local.yml overrides a job by name", () => {
    const main = { hooks: { h: { jobs: [{ name: "a" }] } } }
    const local = { hooks: { h: { jobs: [{ name: "a", background: true }] } } }
    expect(hookHasForegroundJobs([main, local], "h")).toBe(false)
  })
})

describe("config files on disk", () => {
  let cleanup = () => undefined as void
  afterEach(() => cleanup())
  const worktree = () => {
    const t = tempDir("hookctl-config-")
    cleanup = t.cleanup
    return t.dir
  }

  it("searches hookd.yml, hookd.yaml, .hookd.yml, .hookd.yaml, .config/hookd.yml in order", () => {
    const dir = worktree()
    expect(findConfigFile(dir)).toBeUndefined()
    mkdirSync(join(dir, ".config"))
    const order = [".config/hookd.yml", ".hookd.yaml", ".hookd.yml", "hookd.yaml", "hookd.yml"]
    for (const name of order) {
      writeFileSync(join(dir, name), "hooks: {}\n")
      expect(findConfigFile(dir)).toBe(join(dir, name))
    }
  })

  it("lists the hooks of the config and of hookd-local.yml", async () => {
    const dir = worktree()
    writeFileSync(join(dir, "hookd.yml"), "hooks:\n  pre-commit: {jobs: []}\n  post-checkout: {jobs: []}\n")
    writeFileSync(join(dir, "hookd-local.yml"), "hooks:\n  pre-push: {jobs: []}\n")
    expect((await configuredHookNames(join(dir, "hookd.yml"))).sort()).toEqual(["post-checkout", "pre-commit", "pre-push"])
  })

  it("decides: foreground, background-only, no-config, and fail-safe on bad YAML", async () => {
    const dir = worktree()
    expect(await decideWithoutSupervisor(dir, "pre-commit", "auto")).toBe("no-config")
    writeFileSync(join(dir, "hookd.yml"), "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: x}\n")
    expect(await decideWithoutSupervisor(dir, "pre-commit", "auto")).toBe("foreground")
    expect(await decideWithoutSupervisor(dir, "pre-commit", "background")).toBe("background-only")
    writeFileSync(join(dir, "hookd.yml"), "hooks:\n  pre-commit:\n    background: true\n    jobs:\n      - {name: lint, run: x}\n")
    expect(await decideWithoutSupervisor(dir, "pre-commit", "auto")).toBe("background-only")
    expect(await decideWithoutSupervisor(dir, "pre-commit", "foreground")).toBe("foreground")
    writeFileSync(join(dir, "hookd.yml"), "hooks: {pre-commit: [\n")
    expect(await decideWithoutSupervisor(dir, "pre-commit", "auto")).toBe("foreground")
  })
})
