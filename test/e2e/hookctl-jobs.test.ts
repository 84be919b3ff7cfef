// hookctl's job commands against a real supervisor: wait (push-based, exit codes, --timeout → 124),
// show (env names, never values), logs without a job / --failed / of a queued job, did-you-mean.
import { spawn } from "node:child_process"
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { HOOKCTL_BIN } from "../client/support"
import { hookctl, waitForGate } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { finished, job, runJobs, start, useSupervisedRepo } from "./helpers"

let sandbox: Sandbox
let repo: string
useSupervisedRepo({}, (started) => ({ sandbox, repo } = started))

let gates = 0
const newGate = () => join(sandbox.dir, `gate-${++gates}`)
const open = (gate: string) => writeFileSync(gate, "")

/** hookctl running in the background: its output so far, a wait for some text, and its exit code. */
const spawnHookctl = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [HOOKCTL_BIN, ...args], { cwd: repo, env: sandbox.env, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  const waiters: Array<() => void> = []
  const poke = () => waiters.splice(0).forEach((w) => w())
  child.stdout.on("data", (d) => ((stdout += d), poke()))
  child.stderr.on("data", (d) => ((stderr += d), poke()))
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
  return {
    exited,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    running: () => child.exitCode === null,
    kill: (signal: NodeJS.Signals) => child.kill(signal),
    /** Resolves at hookctl's next output. */
    more: () => new Promise<void>((resolve) => waiters.push(resolve)),
    /** Resolves once `text` appeared on stdout or stderr (fails the test if hookctl exits first). */
    printed: async (text: string) => {
      while (!stdout.includes(text) && !stderr.includes(text)) {
        if (child.exitCode !== null) throw new Error(`hookctl exited ${child.exitCode} before printing ${text}:\n${stdout}\n${stderr}`)
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), exited])
      }
    }
  }
}

describe("hookctl wait", () => {
  it("returns after the last job's terminal state, one line per job as it ends; exit 1 when one failed", async () => {
    const [a, b] = [newGate(), newGate()]
    const inv = await start(sandbox.socket, runJobs(repo, [job("first", waitForGate(a)), job("second", `${waitForGate(b)}; exit 3`)]))
    const wait = spawnHookctl(["wait", "--inv", inv.slice(0, 8)])
    open(a)
    await wait.printed(`${inv.slice(0, 8)}:first  completed`)
    // `second` is still behind its gate, so wait cannot have returned.
    expect(wait.running()).toBe(true)
    open(b)
    expect(await wait.exited).toBe(1)
    const lines = wait.stdout.trimEnd().split("\n")
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^${inv.slice(0, 8)}:first  completed  `))
    expect(lines[1]).toMatch(new RegExp(`^${inv.slice(0, 8)}:second  failed  exit 3  `))
  })

  it("exit 0 when every job completed, for a job that already finished too", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("quick", "true")]))
    await finished(sandbox.socket, repo, inv, "quick")
    const r = await hookctl(sandbox, repo, ["wait", `${inv.slice(0, 8)}:quick`])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/:quick {2}completed/)
  })

  it("with no argument waits for the newest invocation of this worktree; --all for every unfinished job", async () => {
    const gate = newGate()
    const inv = await start(sandbox.socket, runJobs(repo, [job("later", waitForGate(gate))]))
    const newest = spawnHookctl(["wait"])
    const all = spawnHookctl(["wait", "--all"])
    // Both have listed their jobs (and so will wait for `later`) before the gate opens.
    await Promise.all([newest.printed("hookctl: waiting for"), all.printed("hookctl: waiting for")])
    open(gate)
    expect(await newest.exited).toBe(0)
    expect(await all.exited).toBe(0)
    expect(newest.stdout).toContain(`${inv.slice(0, 8)}:later  completed`)
    expect(all.stdout).toContain(`${inv.slice(0, 8)}:later  completed`)
  })

  it("--timeout gives 124 and names what is unfinished", async () => {
    const gate = newGate()
    const inv = await start(sandbox.socket, runJobs(repo, [job("stuck", waitForGate(gate))]))
    const r = await hookctl(sandbox, repo, ["wait", `${inv.slice(0, 8)}:stuck`, "--timeout", "300ms"])
    open(gate)
    expect(r.code).toBe(124)
    expect(r.stderr).toContain(`still unfinished: ${inv.slice(0, 8)}:stuck`)
    await finished(sandbox.socket, repo, inv, "stuck")
  })

  it("an unknown job name: exit 4 with a did-you-mean", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, [job("check", "true")]))
    await finished(sandbox.socket, repo, inv, "check")
    const r = await hookctl(sandbox, repo, ["wait", "chek"])
    expect(r.code).toBe(4)
    expect(r.stderr).toBe('hookctl: no job named "chek" — did you mean "check"?\n')
    const logs = await hookctl(sandbox, repo, ["logs", "chekc"])
    expect(logs.stderr).toBe('hookctl: no job named "chekc" — did you mean "check"?\n')
  })
})

describe("hookctl ls", () => {
  it("--limit N says how many more jobs matched (the supervisor's total), --limit 0 lists them all", async () => {
    const inv = await start(sandbox.socket, runJobs(repo, ["l1", "l2", "l3"].map((n) => job(n, "true")), { hook: "pre-limit" }))
    for (const n of ["l1", "l2", "l3"]) await finished(sandbox.socket, repo, inv, n)
    const one = await hookctl(sandbox, repo, ["ls", "--hook", "pre-limit", "--limit", "1"])
    expect(one.code).toBe(0)
    expect(one.stdout).toContain(`${inv.slice(0, 8)}:l1`)
    expect(one.stdout).toContain("… 2 more (hookctl ls --limit 0 for all)")
    const all = await hookctl(sandbox, repo, ["ls", "--hook", "pre-limit", "--limit", "0"])
    expect(all.stdout).not.toContain("more (hookctl ls")
    expect(all.stdout.match(/:l\d/g)).toHaveLength(3)
  })

  it("--watch redraws on its interval until Ctrl-C", async () => {
    const watch = spawnHookctl(["ls", "--watch", "100ms", "--hook", "pre-limit"])
    // Two frames: each starts with the heading line.
    await watch.printed("Ctrl-C to stop")
    while ((watch.stdout.match(/Ctrl-C to stop/g) ?? []).length < 2) await watch.more()
    expect(watch.running()).toBe(true)
    watch.kill("SIGINT")
    expect(await watch.exited).toBe(130)
    expect(watch.stdout).toContain(":l1")
  })
})

describe("hookctl show", () => {
  it("shows the job with its env names but never their values, and where its log is", async () => {
    const inv = await start(
      sandbox.socket,
      runJobs(repo, [job("shown", "echo hello", { tags: ["deps"], env: { MY_SECRET_TOKEN: "hunter2-value" } })], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", VISIBLE_NAME: "visible-value" }
      })
    )
    await finished(sandbox.socket, repo, inv, "shown")
    const r = await hookctl(sandbox, repo, ["show", `${inv.slice(0, 8)}:shown`])
    expect(r.code).toBe(0)
    const field = (name: string) => r.stdout.split("\n").find((l) => l.startsWith(name.padEnd(11)))?.slice(11)
    expect(field("job")).toBe(`${inv.slice(0, 8)}:shown`)
    expect(field("status")).toBe("completed")
    expect(field("command")).toBe("echo hello")
    expect(field("invocation")).toBe(inv)
    expect(field("tags")).toBe("deps")
    expect(field("env")).toContain("VISIBLE_NAME")
    expect(r.stdout).not.toContain("visible-value")
    expect(r.stdout).not.toContain("hunter2-value")
    const log = field("log")!.split("  ")[0]
    expect(existsSync(log)).toBe(true)
    expect(field("log")).toMatch(/\(\d+ B\)$/)
    for (const key of ["cwd", "hook", "worktree", "needs", "queued", "started", "finished", "duration", "exit"]) expect(field(key)).toBeDefined()
  })
})

describe("hookctl logs", () => {
  it("without a job: the newest job of this worktree; --failed: the newest failed one", async () => {
    const bad = await start(sandbox.socket, runJobs(repo, [job("broken", "echo broke >&2; exit 1")]))
    await finished(sandbox.socket, repo, bad, "broken")
    const good = await start(sandbox.socket, runJobs(repo, [job("fine", "echo all good")]))
    await finished(sandbox.socket, repo, good, "fine")
    const newest = await hookctl(sandbox, repo, ["logs"])
    expect(newest.code).toBe(0)
    expect(newest.stdout).toBe("all good\n")
    expect(newest.stderr).toContain(`hookctl: ${good.slice(0, 8)}:fine (completed)`)
    const failed = await hookctl(sandbox, repo, ["logs", "--failed"])
    expect(failed.stderr).toContain("broke\n")
    expect(failed.stderr).toContain(`hookctl: ${bad.slice(0, 8)}:broken (failed)`)
  })

  it("-f of a queued job says at once what it waits for, then follows it", async () => {
    const gate = newGate()
    const inv = await start(sandbox.socket, runJobs(repo, [job("setup", waitForGate(gate)), job("after", "echo ran", { needs: ["setup"] })]))
    const logs = spawnHookctl(["logs", "-f", `${inv.slice(0, 8)}:after`])
    await logs.printed("[hookd] queued (waiting for setup)")
    // `after` cannot start while `setup` is behind its gate: the line came before the start.
    expect(logs.stderr).not.toContain("[hookd] started")
    open(gate)
    expect(await logs.exited).toBe(0)
    expect(logs.stdout).toBe("ran\n")
    expect(logs.stderr.indexOf("[hookd] queued")).toBeLessThan(logs.stderr.indexOf("[hookd] started"))
  })
})
