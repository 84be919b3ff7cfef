// `hookctl hooks install/uninstall` against real `git init` repos: the built binary, temp dirs.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { SHIM_MARKER, planInstall, renderShim } from "../../src/client/shims"
import { git, initRepo, isolatedEnv, runHookctl, tempDir } from "./support"

const CONFIG = "hooks:\n  pre-commit:\n    jobs:\n      - {name: lint, run: 'true'}\n  post-checkout:\n    background: true\n    jobs:\n      - {name: install, run: 'true'}\n"
const FOREIGN = "#!/bin/sh\necho my own hook\n"

describe("planInstall (pure)", () => {
  it.each([
    ["absent", false, false, "create"],
    ["shim", false, false, "upgrade"],
    ["foreign", false, false, "refuse"],
    ["foreign", true, false, "backup-and-create"],
    ["foreign", true, true, "refuse"]
  ] as const)("%s (force=%s, backup exists=%s) → %s", (existing, force, backupExists, step) => {
    expect(planInstall([{ hook: "pre-commit", existing, backupExists }], force)[0].step).toBe(step)
  })
  it("renders a marked sh script with absolute paths and the HOOKD_HOOKCTL override", () => {
    const shim = renderShim("pre-push", "/opt/node/bin/node", "/opt/it's/bin/hookctl")
    expect(shim.startsWith("#!/bin/sh\n# hookd shim v1\n")).toBe(true)
    expect(shim).toContain(`hookctl='/opt/it'\\''s/bin/hookctl'`)
    expect(shim).toContain('exec "$node" "$hookctl" run-hook pre-push -- "$@"')
    expect(shim).toContain('exec "$HOOKD_HOOKCTL" run-hook pre-push -- "$@"')
  })
  it("checks HOOKD=0 before it runs anything", () => {
    const lines = renderShim("pre-push", "/n", "/h").split("\n")
    const off = lines.indexOf('if [ "${HOOKD:-}" = "0" ]; then exit 0; fi')
    expect(off).toBeGreaterThan(0)
    expect(lines.slice(0, off).some((l) => l.includes("exec"))).toBe(false)
  })
})

describe("hooks install / uninstall", () => {
  const temp = tempDir("hookctl-shims-")
  let env: Record<string, string>
  let counter = 0
  let repo: string
  let hooks: string

  beforeAll(() => {
    env = isolatedEnv(join(temp.dir, "home"), { HOOKD_NO_AUTOSTART: "1", HOOKD_SOCKET: join(temp.dir, "none.sock") })
  })
  afterAll(() => temp.cleanup())
  beforeEach(() => {
    repo = initRepo(join(temp.dir, `r${counter++}`), env)
    hooks = join(repo, ".git", "hooks")
    writeFileSync(join(repo, "hookd.yml"), CONFIG)
  })

  const hookctl = (args: string[], cwd = repo) => runHookctl(args, { cwd, env })
  const read = (path: string) => readFileSync(path, "utf8")

  it("writes an executable shim for every hook in the config", async () => {
    const r = await hookctl(["hooks", "install"])
    expect(r.code).toBe(0)
    for (const hook of ["pre-commit", "post-checkout"]) {
      const path = join(hooks, hook)
      expect(read(path)).toContain(SHIM_MARKER)
      expect(read(path)).toContain(`run-hook ${hook} --`)
      expect(statSync(path).mode & 0o777).toBe(0o755)
      expect(r.stdout).toContain(`installed ${path}`)
    }
    expect(existsSync(join(hooks, "pre-push"))).toBe(false)
  })

  it("works from a subdirectory and with --repo", async () => {
    const sub = join(repo, "pkg")
    mkdirSync(sub)
    expect((await hookctl(["hooks", "install"], sub)).code).toBe(0)
    expect(existsSync(join(hooks, "pre-commit"))).toBe(true)
    expect((await hookctl(["--repo", repo, "hooks", "uninstall"], temp.dir)).code).toBe(0)
    expect(existsSync(join(hooks, "pre-commit"))).toBe(false)
  })

  it("a foreign hook without --force: refuses, names it, and changes nothing at all", async () => {
    writeFileSync(join(hooks, "post-checkout"), FOREIGN)
    const r = await hookctl(["hooks", "install"])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(join(hooks, "post-checkout"))
    expect(read(join(hooks, "post-checkout"))).toBe(FOREIGN)
    expect(existsSync(join(hooks, "pre-commit"))).toBe(false) // checked before writing anything
  })

  it("--force keeps the foreign hook as <hook>.hookd-backup; uninstall restores it", async () => {
    writeFileSync(join(hooks, "post-checkout"), FOREIGN)
    const r = await hookctl(["hooks", "install", "--force"])
    expect(r.code).toBe(0)
    expect(read(join(hooks, "post-checkout.hookd-backup"))).toBe(FOREIGN)
    expect(read(join(hooks, "post-checkout"))).toContain(SHIM_MARKER)

    const u = await hookctl(["hooks", "uninstall"])
    expect(u.code).toBe(0)
    expect(read(join(hooks, "post-checkout"))).toBe(FOREIGN)
    expect(existsSync(join(hooks, "post-checkout.hookd-backup"))).toBe(false)
    expect(existsSync(join(hooks, "pre-commit"))).toBe(false)
    expect(u.stdout).toContain("restored")
  })

  it("an existing shim is upgraded in place; a second --force never clobbers a backup", async () => {
    writeFileSync(join(hooks, "pre-commit"), "#!/bin/sh\n# hookd shim v1\nexec old\n")
    const r = await hookctl(["hooks", "install"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`updated ${join(hooks, "pre-commit")}`)
    expect(read(join(hooks, "pre-commit"))).toContain("run-hook pre-commit")

    writeFileSync(join(hooks, "post-checkout.hookd-backup"), "older\n")
    writeFileSync(join(hooks, "post-checkout"), FOREIGN)
    const again = await hookctl(["hooks", "install", "--force"])
    expect(again.code).toBe(1)
    expect(read(join(hooks, "post-checkout.hookd-backup"))).toBe("older\n")
  })

  it("uninstall removes only files marked as hookd shims", async () => {
    await hookctl(["hooks", "install"])
    writeFileSync(join(hooks, "pre-push"), FOREIGN)
    await hookctl(["hooks", "uninstall"])
    expect(read(join(hooks, "pre-push"))).toBe(FOREIGN)
    expect(existsSync(join(hooks, "pre-commit"))).toBe(false)
    expect(existsSync(join(hooks, "pre-commit.sample"))).toBe(true)
  })

  it("honours core.hooksPath (relative to the worktree)", async () => {
    git(repo, ["config", "core.hooksPath", "githooks"], env)
    expect((await hookctl(["hooks", "install"])).code).toBe(0)
    expect(read(join(repo, "githooks", "pre-commit"))).toContain(SHIM_MARKER)
    expect(existsSync(join(hooks, "pre-commit"))).toBe(false)
  })

  it("from a linked worktree, installs into the repository's common hooks dir", async () => {
    const linked = join(temp.dir, `linked${counter}`)
    git(repo, ["worktree", "add", "-q", linked], env)
    writeFileSync(join(linked, "hookd.yml"), "hooks:\n  pre-push:\n    jobs: [{name: t, run: 'true'}]\n")
    expect((await hookctl(["hooks", "install"], linked)).code).toBe(0)
    expect(read(join(hooks, "pre-push"))).toContain(SHIM_MARKER)
  })

  it("no config → exit 2 with \"no hookd.yml found\"", async () => {
    rmSync(join(repo, "hookd.yml"))
    const r = await hookctl(["hooks", "install"])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("no hookd.yml found")
  })

  it("the installed shim runs hookctl with the hook's arguments (HOOKD_HOOKCTL override)", async () => {
    await hookctl(["hooks", "install"])
    const fake = join(temp.dir, `fake-hookctl-${counter}`)
    const record = join(temp.dir, `args-${counter}.txt`)
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\n`)
    chmodSync(fake, 0o755)
    git(repo, ["checkout", "-q", "-b", "topic"], { ...env, HOOKD_HOOKCTL: fake })
    expect(read(record).trim().split("\n")).toEqual(["run-hook", "post-checkout", "--", expect.any(String), expect.any(String), "1"])
  })

  it("the installed shim really runs hookctl: a commit is blocked when no supervisor answers", async () => {
    await hookctl(["hooks", "install"])
    let failed = false
    try {
      git(repo, ["commit", "-q", "--allow-empty", "-m", "blocked"], env)
    } catch (e) {
      failed = true
      expect(String((e as { stderr: string }).stderr)).toContain("hookd")
    }
    expect(failed).toBe(true)
  })
})
