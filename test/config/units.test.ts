import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { parseDuration, parseSize } from "../../src/config/units"

describe("parseDuration (milliseconds)", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
    ["2d12h", 216_000_000],
    ["1m30s250ms", 90_250],
    ["1.5h", 5_400_000],
    ["30", 30_000],
    ["0", 0],
    ["0s", 0],
    [" 10m ", 600_000]
  ])("%s = %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(["", "fast", "-5s", "10 m", "30m1h", "1m1m", "10M", "1w", "h", "1.5", "1h 30m", "ms"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe("parseSize (bytes)", () => {
  it.each([
    ["0", 0],
    ["1234", 1234],
    ["10B", 10],
    ["500KB", 500_000],
    ["10MB", 10_000_000],
    ["1GB", 1_000_000_000],
    ["2TB", 2_000_000_000_000],
    ["1KiB", 1024],
    ["10MiB", 10 * 1024 * 1024],
    ["1GiB", 2 ** 30],
    ["1.5MB", 1_500_000],
    ["10mb", 10_000_000],
    ["10 MiB", 10 * 1024 * 1024]
  ])("%s = %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  it.each(["", "big", "10XB", "-1", "1.5", "10 parsecs", "MB", "10  MB"])("rejects %j", (text) => {
    expect(parseSize(text)).toBeUndefined()
  })
})

describe("units.ts", () => {
  it("imports nothing from effect (the client bundles it)", () => {
    const source = readFileSync(new URL("../../src/config/units.ts", import.meta.url), "utf8")
    expect(source).not.toMatch(/from\s+["']effect/)
    expect(source).not.toMatch(/import\s+["']effect/)
  })
})
