// hookctl as a user runs it inside a sandbox: the built binary (bin/hookctl), the sandbox's env.
import type { JobInfo } from "../../src/protocol/types"
import { runHookctl, type RunResult } from "../client/support"
import type { Sandbox } from "./supervisor"

export type { RunResult }

/** `hookctl <args>` in `cwd` with the sandbox's env (plus `extraEnv`). */
export const hookctl = (sandbox: Sandbox, cwd: string, args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}): Promise<RunResult> =>
  runHookctl(args, { cwd, env: { ...sandbox.env, ...extraEnv } })

/** `hookctl ls --json <args>`, parsed; throws with hookctl's stderr when it does not exit 0. */
export const lsJson = async (sandbox: Sandbox, cwd: string, args: ReadonlyArray<string> = []): Promise<JobInfo[]> => {
  const r = await hookctl(sandbox, cwd, ["ls", "--json", ...args])
  if (r.code !== 0) throw new Error(`hookctl ls --json ${args.join(" ")} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as JobInfo[]
}

/** The newest recorded job of that name (ls is newest first). */
export const newestJob = async (sandbox: Sandbox, cwd: string, name: string): Promise<JobInfo> => {
  const found = (await lsJson(sandbox, cwd)).find((j) => j.name === name)
  if (found === undefined) throw new Error(`no job named ${name} is recorded for ${cwd}`)
  return found
}

/** A shell loop that blocks a job until the test creates `gate` (the job polls; the test never sleeps). */
export const waitForGate = (gate: string): string => `while [ ! -e '${gate}' ]; do sleep 0.02; done`
