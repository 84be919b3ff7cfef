import { describe, expect, it } from "vitest"
import { compareListPositions, decodeCursor, encodeCursor, fitsPage, keysetAfter, type ListPosition } from "../../src/domain/list-page"

const A = "aaaaaaaaaaaaaaaa"
const B = "bbbbbbbbbbbbbbbb"
const at = (createdAt: number, repoId: string, invocationRowid: number, jobRowid: number): ListPosition => ({ createdAt, repoId, invocationRowid, jobRowid })

describe("compareListPositions: one order across repositories", () => {
  it.each<[string, ListPosition, ListPosition]>([
    ["a newer invocation first", at(2, B, 1, 1), at(1, A, 9, 1)],
    ["the same time: the smaller repo id first", at(1, A, 1, 9), at(1, B, 9, 1)],
    ["the same repo and time: the newer invocation row first", at(1, A, 9, 9), at(1, A, 8, 1)],
    ["one invocation: its jobs in declaration order", at(1, A, 9, 1), at(1, A, 9, 2)]
  ])("%s", (_, first, second) => {
    expect(compareListPositions(first, second)).toBeLessThan(0)
    expect(compareListPositions(second, first)).toBeGreaterThan(0)
    expect(compareListPositions(first, first)).toBe(0)
  })
})

describe("cursors", () => {
  it("round-trip", () => {
    const p = at(1_798_769_073_590, A, 4900, 48_995)
    expect(decodeCursor(encodeCursor(p))).toEqual(p)
  })
  it.each(["", "1.2.3", "2.1." + A + ".1.1", "1.x." + A + ".1.1", "1.1.AAAAAAAAAAAAAAAA.1.1", "1.1." + A + ".1.1 ", "1.1." + A + ".-1.1", "1.12345678901234567." + A + ".1.1"])(
    "%j is not a cursor",
    (text) => expect(decodeCursor(text)).toBeUndefined()
  )
})

describe("keysetAfter: how each repository continues after a cursor", () => {
  const cursor = at(100, B, 7, 70)
  it.each<[string, ListPosition | undefined, string, ReturnType<typeof keysetAfter>]>([
    ["no cursor: everything", undefined, A, { createdAt: Number.MAX_SAFE_INTEGER, mode: "at-or-before", invocationRowid: 0, jobRowid: 0 }],
    ["a repo ordered before the cursor's: only older invocations", cursor, A, { createdAt: 100, mode: "before", invocationRowid: 7, jobRowid: 70 }],
    ["a repo ordered after it: the cursor's time too", cursor, "cccccccccccccccc", { createdAt: 100, mode: "at-or-before", invocationRowid: 7, jobRowid: 70 }],
    ["the cursor's own repo: after its row", cursor, B, { createdAt: 100, mode: "within", invocationRowid: 7, jobRowid: 70 }]
  ])("%s", (_, c, repoId, expected) => expect(keysetAfter(c, repoId)).toEqual(expected))
})

describe("fitsPage", () => {
  it.each<[string, number, number, number, boolean]>([
    ["the first row always (paging always moves on)", 0, 0, 5_000, true],
    ["a row that still fits", 3, 900, 100, true],
    ["exactly at the bound", 3, 900, 124, true],
    ["one byte over", 3, 900, 125, false]
  ])("%s", (_, rows, bytes, size, fits) => expect(fitsPage(rows, bytes, size, 1024)).toBe(fits))
})
