// HOOKD_IDLE_EXIT → the `--idle-exit` an autostarted hookd gets (pure; the black-box side is in
// test/e2e/git-hooks-switches.test.ts).
import { describe, expect, it } from "vitest"
import { idleExitArgs } from "../../src/client/autostart"
import { UnreachableError } from "../../src/client/errors"

describe("idleExitArgs", () => {
  it.each([
    [undefined, ["--idle-exit", "30m"]],
    ["", ["--idle-exit", "30m"]],
    ["2s", ["--idle-exit", "2s"]],
    [" 1h30m ", ["--idle-exit", "1h30m"]],
    ["90", ["--idle-exit", "90"]],
    ["0", []],
    ["0s", []]
  ] as const)("HOOKD_IDLE_EXIT=%j → %j", (value, args) => {
    expect(idleExitArgs({ HOOKD_IDLE_EXIT: value })).toEqual(args)
  })
  it.each(["soon", "-5m", "30 m", "1M"])("refuses %j, naming the variable", (value) => {
    expect(() => idleExitArgs({ HOOKD_IDLE_EXIT: value })).toThrow(UnreachableError)
    expect(() => idleExitArgs({ HOOKD_IDLE_EXIT: value })).toThrow(/HOOKD_IDLE_EXIT/)
  })
})
