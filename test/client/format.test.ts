// Pure formatting: durations, relative times, sizes, truncation, colour decisions.
import { describe, expect, it } from "vitest"
import {
  formatBytes,
  formatDuration,
  formatRelativeTime,
  paint,
  shortenHome,
  shouldUseColour,
  statusLabel,
  truncateEnd,
  truncateStart
} from "../../src/client/format"

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [36, "36ms"],
    [999, "999ms"],
    [1000, "1s"],
    [12_400, "12s"],
    [59_999, "59s"],
    [60_000, "1m00s"],
    [92_000, "1m32s"],
    [3_599_000, "59m59s"],
    [3_600_000, "1h00m"],
    [7_500_000, "2h05m"],
    [86_400_000 + 4 * 3_600_000, "1d04h"],
    [-5, "0ms"],
    [null, "-"]
  ])("%s ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})

describe("formatRelativeTime", () => {
  const now = 1_700_000_000_000
  it.each([
    [now, "just now"],
    [now + 5000, "just now"],
    [now - 12_000, "12s ago"],
    [now - 3 * 60_000, "3m ago"],
    [now - 5 * 3_600_000, "5h ago"],
    [now - 47 * 3_600_000, "47h ago"],
    [now - 3 * 86_400_000, "3d ago"],
    [null, "-"]
  ])("%s → %s", (then, text) => {
    expect(formatRelativeTime(then, now)).toBe(text)
  })
})

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [12 * 1024 * 1024, "12 MiB"],
    [3 * 1024 ** 3, "3.0 GiB"],
    [null, "-"]
  ])("%s → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})

describe("truncation and paths", () => {
  it("cuts at the end or keeps the end, with one ellipsis character", () => {
    expect(truncateEnd("abcdefgh", 5)).toBe("abcd…")
    expect(truncateEnd("abc", 5)).toBe("abc")
    expect(truncateStart("/home/u/src/web", 8)).toBe("…src/web")
    expect(truncateStart("/home/u/src/web", 8)).toHaveLength(8)
  })
  it("shortens the home directory to ~ only on a path boundary", () => {
    expect(shortenHome("/home/u/src/web", "/home/u")).toBe("~/src/web")
    expect(shortenHome("/home/u", "/home/u/")).toBe("~")
    expect(shortenHome("/home/user2/x", "/home/u")).toBe("/home/user2/x")
    expect(shortenHome("/x", undefined)).toBe("/x")
  })
})

describe("colour", () => {
  it("only on a TTY, and never when NO_COLOR is non-empty", () => {
    expect(shouldUseColour(true, {})).toBe(true)
    expect(shouldUseColour(true, { NO_COLOR: "" })).toBe(true)
    expect(shouldUseColour(true, { NO_COLOR: "1" })).toBe(false)
    expect(shouldUseColour(false, {})).toBe(false)
    expect(shouldUseColour(undefined, {})).toBe(false)
  })
  it("paints with SGR codes only when enabled", () => {
    expect(paint("ok", "green", true)).toBe("\x1b[32mok\x1b[39m")
    expect(paint("ok", "green", false)).toBe("ok")
    expect(paint("ok", undefined, true)).toBe("ok")
  })
  it("marks live statuses", () => {
    expect(statusLabel("running")).toBe("● running")
    expect(statusLabel("completed")).toBe("completed")
    expect(statusLabel("cancelled", "superseded by 0123456789abcdef")).toBe("cancelled (superseded)")
    expect(statusLabel("cancelled", "cancelled by user")).toBe("cancelled")
  })
})
