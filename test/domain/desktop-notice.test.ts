import { describe, expect, it } from "vitest"
import { desktopNotice, noticeCommand, type EndedJob } from "../../src/domain/desktop-notice"

const ended = (over: Partial<EndedJob>): EndedJob => ({
  hook: "post-checkout",
  name: "install",
  invocationId: "8b31c0de12345678",
  status: "failed",
  exitCode: 1,
  signal: null,
  ...over
})

describe("desktopNotice", () => {
  it.each([
    ["exit code", {}, "hookd: install failed (exit 1)"],
    ["signal", { exitCode: null, signal: "SIGKILL" }, "hookd: install failed (SIGKILL)"],
    ["no exit code", { exitCode: null }, "hookd: install failed"],
    ["timed out", { status: "timed_out" as const, exitCode: null }, "hookd: install timed out"],
    ["crashed", { status: "crashed" as const, exitCode: null }, "hookd: install crashed"]
  ])("%s", (_, over, title) => {
    expect(desktopNotice(ended(over))).toEqual({ title, body: "post-checkout job — hookctl logs 8b31c0de:install" })
  })

  it.each(["completed", "cancelled", "skipped", "queued", "running", "unknown"] as const)("nothing for %s", (status) => {
    expect(desktopNotice(ended({ status }))).toBeUndefined()
  })
})

describe("noticeCommand", () => {
  const notice = { title: 'hookd: a "b" \\ c', body: "post-checkout job\nline" }
  const on = (...programs: string[]) => (program: string) => (programs.includes(program) ? `/usr/bin/${program}` : undefined)

  it.each([
    ["linux with notify-send", "linux", on("notify-send"), { file: "/usr/bin/notify-send", args: ["--app-name=hookd", "--", notice.title, notice.body] }],
    ["freebsd with notify-send", "freebsd", on("notify-send"), { file: "/usr/bin/notify-send", args: ["--app-name=hookd", "--", notice.title, notice.body] }],
    ["linux without it: nothing", "linux", on("osascript"), undefined],
    [
      "macOS: osascript, strings escaped",
      "darwin",
      on("osascript", "notify-send"),
      { file: "/usr/bin/osascript", args: ["-e", 'display notification "post-checkout job line" with title "hookd: a \\"b\\" \\\\ c"'] }
    ],
    ["macOS without osascript: nothing", "darwin", on("notify-send"), undefined],
    ["windows: nothing", "win32", on("notify-send", "osascript"), undefined]
  ])("%s", (_, platform, find, expected) => {
    expect(noticeCommand(platform, find, notice)).toEqual(expected)
  })
})
