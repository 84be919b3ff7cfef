// Store: deciding from application_id / user_version (pure, table-driven).
import { describe, expect, it } from "vitest"
import { classifyIdentity, HOOKD_APPLICATION_ID, parseHeader } from "../../src/store/header"
import { modeTooOpen } from "../../src/store/permissions"

const header = (applicationId: number, userVersion: number): Buffer => {
  const bytes = Buffer.alloc(100)
  bytes.write("SQLite format 3\0", 0, "latin1")
  bytes.writeUInt32BE(userVersion, 60)
  bytes.writeUInt32BE(applicationId, 68)
  return bytes
}

describe("Store: identity decisions", () => {
  it.each([
    [0, 0, "fresh"],
    [HOOKD_APPLICATION_ID, 0, "hookd"],
    [HOOKD_APPLICATION_ID, 1, "hookd"],
    [HOOKD_APPLICATION_ID, 2, "newer"],
    [0x53555052, 1, "foreign"],
    [0x53555052, 9, "foreign"]
  ] as const)("application_id %i, user_version %i, known 1 → %s", (appId, version, expected) => {
    expect(classifyIdentity(appId, version, 1)).toBe(expected)
  })

  it("HKD1 is 0x484B4431", () => {
    expect(Buffer.from("HKD1").readUInt32BE(0)).toBe(HOOKD_APPLICATION_ID)
  })

  it("parses the header fields; an empty file is fresh, anything else not SQLite", () => {
    expect(parseHeader(header(HOOKD_APPLICATION_ID, 3))).toEqual({
      kind: "sqlite", applicationId: HOOKD_APPLICATION_ID, userVersion: 3
    })
    expect(parseHeader(Buffer.alloc(0))).toEqual({ kind: "empty" })
    expect(parseHeader(Buffer.from("hello"))).toEqual({ kind: "not-sqlite" })
    expect(parseHeader(Buffer.alloc(100))).toEqual({ kind: "not-sqlite" })
  })

  it.each([
    [0o700, false], [0o600, false], [0o400, false], [0o644, true], [0o755, true], [0o620, true], [0o601, true]
  ])("mode %o too open: %s", (mode, tooOpen) => {
    expect(modeTooOpen(mode)).toBe(tooOpen)
  })
})
