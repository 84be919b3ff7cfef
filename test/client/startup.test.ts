// hookctl's startup structure (issue 13): which of node's own modules a command loads. Speed is
// shown in bench/; what is asserted here is the structure that makes it — child_process and crypto
// only where they are used, node:net and node's streams not for status and ls, and `--version`
// without the client bundle at all.
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fnv64 } from "../../src/client/hook-inventory"
import { hookWorktree } from "../../src/client/git"
import { rawPipeAllowed } from "../../src/protocol/raw-pipe"
import { ScriptedServer } from "./scripted-server"
import { HOOKCTL_BIN, initRepo, isolatedEnv, runHookctl, tempDir } from "./support"

const temp = tempDir("hookctl-startup-")
let env: Record<string, string>
let dumper: string

beforeAll(() => {
  env = isolatedEnv(join(temp.dir, "home"), { HOOKD_NO_AUTOSTART: "1", HOOKD_SOCKET: join(temp.dir, "run", "none.sock") })
  mkdirSync(join(temp.dir, "run"), { mode: 0o700 })
  dumper = join(temp.dir, "dump-modules.cjs")
  writeFileSync(dumper, 'process.on("exit", () => require("node:fs").writeFileSync(process.env.DUMP_TO, JSON.stringify(process.moduleLoadList)))\n')
})
afterAll(() => temp.cleanup())

/** node's modules a hookctl run loaded (process.moduleLoadList at exit). */
const loadedBy = async (args: string[], extra: Record<string, string> = {}): Promise<string[]> => {
  const to = join(temp.dir, `modules-${args.join("-")}.json`)
  await runHookctl(args, { cwd: temp.dir, env: { ...env, ...extra, DUMP_TO: to, NODE_OPTIONS: `--require ${dumper}` } })
  return JSON.parse(readFileSync(to, "utf8")) as string[]
}

describe("what a command loads", () => {
  it("--version reads package.json only: no client bundle, no socket code", async () => {
    const loaded = await loadedBy(["--version"])
    expect(loaded).not.toContain("NativeModule net")
    expect(loaded).not.toContain("NativeModule child_process")
    const version = JSON.parse(readFileSync(join(HOOKCTL_BIN, "..", "..", "package.json"), "utf8")).version
    expect(execFileSync(process.execPath, [HOOKCTL_BIN, "--version"], { encoding: "utf8" })).toBe(`${version}\n`)
  })

  it("status with nobody listening: node:net (to say why, in its words), but neither child_process nor crypto", async () => {
    const loaded = await loadedBy(["status"])
    expect(loaded).toContain("NativeModule net") // the check is real: it sees what status needs
    expect(loaded).not.toContain("NativeModule child_process")
    expect(loaded).not.toContain("NativeModule crypto")
  })

  it("a command that asks git loads child_process on first use", async () => {
    const loaded = await loadedBy(["hooks", "status"]) // asks git for the hooks dir
    expect(loaded).toContain("NativeModule child_process")
  })
})

describe("what status and ls load when the supervisor answers", () => {
  let server: ScriptedServer
  const live = () => ({ HOOKD_SOCKET: join(temp.dir, "run", "live.sock") })
  beforeAll(async () => {
    server = await ScriptedServer.listen(
      live().HOOKD_SOCKET,
      (req) => (req.req === "Status" ? { answers: [{ kind: "SupervisorStatus", payload: { pid: 1, uptime_ms: 1, repos: 0, running: 0, queued: 0, connections: 1, rss_bytes: 1, version: "0.1.0" } }] } : { answers: [{ kind: "Jobs", payload: { jobs: [] } }] }),
      { answerHello: true }
    )
  })
  afterAll(() => server.close())

  // The raw pipe (protocol/raw-pipe.ts) and output written to the fd (client/output.ts): no node:net, no stream for stdout.
  it.runIf(rawPipeAllowed())("status and ls: neither node:net nor node's streams", async () => {
    for (const command of ["status", "ls"]) {
      const loaded = await loadedBy([command], live())
      expect(loaded).toContain("Internal Binding pipe_wrap") // the check is real: it sees the connection
      expect(loaded).not.toContain("NativeModule net")
      expect(loaded).not.toContain("NativeModule stream")
      expect(loaded).not.toContain("NativeModule child_process")
    }
  })

  it("with HOOKD_RAW_PIPE=0: node:net and node's stdout stream, as before", async () => {
    const loaded = await loadedBy(["status"], { ...live(), HOOKD_RAW_PIPE: "0" })
    expect(loaded).toContain("NativeModule net")
    expect(loaded).toContain("NativeModule stream")
  })
})

describe("hookWorktree", () => {
  it("answers the hook's cwd without git when it holds .git and nothing redirects git; otherwise asks git", () => {
    const repo = initRepo(join(temp.dir, "repo"), env)
    const sub = join(repo, "sub")
    mkdirSync(sub)
    expect(hookWorktree(repo, {})).toBe(repo)
    expect(hookWorktree(sub, {})).toBe(execFileSync("git", ["rev-parse", "--show-toplevel"], { cwd: sub, encoding: "utf8" }).trim())
    // GIT_DIR set: the .git shortcut is not taken (git is asked, and answers for the same repo here).
    expect(hookWorktree(repo, { GIT_DIR: join(repo, ".git") })).toBe(repo)
    expect(hookWorktree(temp.dir, {})).toBeUndefined()
  })
})

describe("fnv64 (the config digest of the missing-shim reminder)", () => {
  it.each([
    [["hooks: {}\n"], ["hooks: {}\n"], true],
    [["hooks: {}\n"], ["hooks: {} \n"], false],
    [["ab"], ["a", "b"], false],
    [["a", ""], ["a"], false],
    [[""], [], false]
  ])("%j vs %j: equal=%s", (a, b, equal) => {
    const digest = (parts: string[]) => fnv64(parts.map((p) => Buffer.from(p)))
    expect(digest(a) === digest(b)).toBe(equal)
    expect(digest(a)).toMatch(/^[0-9a-f]{16}$/)
  })
})
