// hookd's argv and environment.
import { describe, expect, it } from "vitest"
import { readSettings, UsageError } from "../../src/settings/settings"

describe("readSettings", () => {
  it("reads the limits from the environment", () => {
    const s = readSettings([], { HOOKD_STATE_DIR: "/s", HOOKD_SOCKET: "/r/s.sock", HOOKD_MAX_PARALLEL: "3", HOOKD_KILL_GRACE_MS: "250" }, "1.0.0")
    expect(s).toMatchObject({ stateDir: "/s", socketPath: "/r/s.sock", maxParallel: 3, killGraceMs: 250, idleExitMs: undefined })
  })

  it.each([["--idle-exit", "30m"], ["--idle-exit=30m"]])("%s takes a duration", (...argv) => {
    expect(readSettings(argv, {}, "1").idleExitMs).toBe(30 * 60 * 1000)
  })

  it.each([
    [["--idle-exit"], {}],
    [["--idle-exit", "soon"], {}],
    [["--frobnicate"], {}],
    [[], { HOOKD_MAX_PARALLEL: "two" }],
    [[], { HOOKD_KILL_GRACE_MS: "-1" }]
  ])("%j %j is a usage error", (argv, env) => {
    expect(() => readSettings(argv, env, "1")).toThrow(UsageError)
  })
})
