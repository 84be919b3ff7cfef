// Issue 14 item 1: another local user who owns (or can write) the socket's directory listens there
// and collects what hookctl sends — run-hook sends the whole environment. hookctl must refuse such a
// socket before it connects: nothing reaches the impostor, and the message names path, owner, fix.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { initRepo, isolatedEnv, runHookctl, tempDir } from "../client/support"
import { createOtherUser, isRoot, listenAs, runAs, SKIP_NOT_ROOT, type Listener, type OtherUser } from "../support/other-user"

if (!isRoot) console.warn(`socket-impersonation: skipped — ${SKIP_NOT_ROOT}`)

describe.skipIf(!isRoot)("hookctl refuses a socket another user controls", () => {
  let mallory: OtherUser
  let scratch: ReturnType<typeof tempDir>
  let shared: string
  let repo: string
  const listeners: Listener[] = []

  beforeAll(() => {
    mallory = createOtherUser()
    scratch = tempDir("hookd-impersonation-")
    // A world-writable sticky directory, like /tmp, where anyone may create a directory first.
    shared = join(scratch.dir, "tmp")
    mkdirSync(shared)
    chmodSync(scratch.dir, 0o755)
    chmodSync(shared, 0o1777)
    repo = initRepo(join(scratch.dir, "repos"), isolatedEnv(join(scratch.dir, "home")))
    writeFileSync(join(repo, "hookd.yml"), "hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        run: 'true'\n")
  })

  afterAll(async () => {
    for (const l of listeners) await l.stop()
    mallory?.remove()
    scratch?.cleanup()
  })

  /** Mallory makes `dir` (mode 0777, hers) and listens at dir/hookd.sock, like the reported attack. */
  const impostorIn = async (name: string): Promise<{ socket: string; listener: Listener }> => {
    const dir = join(shared, name)
    runAs(mallory, "mkdir", ["-m", "0777", dir])
    const socket = join(dir, "hookd.sock")
    // It answers garbage and hangs up, so a client that does connect fails fast instead of waiting.
    const listener = await listenAs(mallory, socket, "not hookd")
    listeners.push(listener)
    return { socket, listener }
  }

  const env = (socket: string, extra: Record<string, string> = {}) =>
    isolatedEnv(join(scratch.dir, "home"), {
      HOOKD_SOCKET: socket,
      HOOKD_STATE_DIR: join(scratch.dir, "state"),
      HOOKD_NO_AUTOSTART: "1",
      ...extra
    })

  it("status: refuses, names the directory, its owner and the fix, and never connects", async () => {
    const { socket, listener } = await impostorIn("hookd-status")
    const r = await runHookctl(["status"], { cwd: repo, env: env(socket) })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`unsafe socket directory ${join(shared, "hookd-status")}`)
    expect(r.stderr).toContain(`owned by uid ${mallory.uid} (${mallory.name})`)
    expect(r.stderr).toContain("Nothing was sent")
    expect(r.stderr).toContain("XDG_RUNTIME_DIR or HOOKD_SOCKET")
    expect(r.stdout).not.toContain("version")
    expect(listener.connections()).toBe(0)
  })

  it("run-hook: the environment with its secrets never reaches the impostor", async () => {
    const { socket, listener } = await impostorIn("hookd-run-hook")
    const r = await runHookctl(["run-hook", "pre-commit", "--"], {
      cwd: repo,
      env: env(socket, { GH_TOKEN: "ghp_0123456789abcdefghijklmnopqrstuvwxyz" })
    })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`owned by uid ${mallory.uid}`)
    expect(listener.connections()).toBe(0)
    expect(listener.bytes()).toBe(0)
  })

  it("a background-only hook warns with the reason and exits 0, still sending nothing", async () => {
    const { socket, listener } = await impostorIn("hookd-background")
    writeFileSync(join(repo, "hookd.yml"), "hooks:\n  post-checkout:\n    background: true\n    jobs:\n      - name: deps\n        run: 'true'\n")
    const r = await runHookctl(["run-hook", "post-checkout", "--"], { cwd: repo, env: env(socket) })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain(`owned by uid ${mallory.uid}`)
    expect(listener.connections()).toBe(0)
  })

  it("shutdown: refuses too (it never autostarts, but it would still connect)", async () => {
    const { socket, listener } = await impostorIn("hookd-shutdown")
    const r = await runHookctl(["shutdown"], { cwd: repo, env: env(socket) })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`owned by uid ${mallory.uid}`)
    expect(listener.connections()).toBe(0)
  })

  it("another user's socket inside the user's own but world-writable directory: refused, with the chmod", async () => {
    const dir = join(shared, "hookd-loose")
    mkdirSync(dir)
    chmodSync(dir, 0o777)
    const listener = await listenAs(mallory, join(dir, "hookd.sock"), "not hookd")
    listeners.push(listener)
    const r = await runHookctl(["status"], { cwd: repo, env: env(join(dir, "hookd.sock")) })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`chmod 700 ${dir}`)
    expect(listener.connections()).toBe(0)
  })

  it("a symlinked socket directory pointing at the impostor's is not followed", async () => {
    const { listener } = await impostorIn("hookd-target")
    const link = join(shared, "hookd-link")
    runAs(mallory, "ln", ["-s", join(shared, "hookd-target"), link])
    const r = await runHookctl(["status"], { cwd: repo, env: env(join(link, "hookd.sock")) })
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`unsafe socket directory ${link}: it is a symbolic link`)
    expect(listener.connections()).toBe(0)
  })
})
