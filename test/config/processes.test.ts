// The processes config loading starts: `{run: cmd}` conditions are bounded and leave nothing behind.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { shellExitCode } from "../../src/config/processes"
import { tempDir } from "./support"

/** Alive and not a zombie (init reaps killed orphans lazily). */
const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** Waits until `pid` is gone, at most `ms`; true when it went. */
const goneWithin = async (pid: number, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

const leftovers: number[] = []
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      // already gone
    }
  }
})

const run = (command: string, cwd: string, timeoutMs: number) =>
  Effect.runPromise(shellExitCode(command, { cwd, env: process.env, timeoutMs }))

describe("{run: cmd} conditions", () => {
  it("one that outlives its timeout counts as could-not-run, and what it started is killed too", async () => {
    const dir = tempDir()
    const code = await run("sleep 60 & echo $! > child.pid; wait", dir, 300)
    const child = Number(readFileSync(join(dir, "child.pid"), "utf8"))
    leftovers.push(child)
    expect(code).toBeUndefined()
    // Killed, it goes at once; the bound only has to be well short of `sleep 60` on a loaded machine.
    expect(await goneWithin(child, 10_000)).toBe(true)
  })

  it("a command with a NUL byte cannot run: undefined, not a defect", async () => {
    expect(await run("echo a\0b", tempDir(), 5000)).toBeUndefined()
  })
})
