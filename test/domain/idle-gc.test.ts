// When an idle supervisor collects: quiet long enough (longer before each further collection),
// the first always and later ones only with enough unused heap, at most three times per quiet period, never while busy.
import { describe, expect, it } from "vitest"
import { IDLE_GC_MAX_PER_QUIET, IDLE_GC_MIN_SLACK, IDLE_GC_QUIET_MS, shouldCollectIdle, type HeapSample } from "../../src/domain/idle-gc"

const MiB = 1024 * 1024
const quiet: HeapSample = { busy: false, quietMs: IDLE_GC_QUIET_MS, heapTotal: 90 * MiB, heapUsed: 60 * MiB, collectionsWhileQuiet: 0 }

describe("shouldCollectIdle", () => {
  it.each<[string, Partial<HeapSample>, boolean]>([
    ["quiet for the period, 30 MiB unused", {}, true],
    ["busy (a job or a request)", { busy: true }, false],
    ["quiet, but not long enough yet", { quietMs: IDLE_GC_QUIET_MS - 1 }, false],
    ["the first of a quiet period, however little is unused", { heapUsed: 90 * MiB }, true],
    ["a second with too little unused heap to be worth it", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS, heapUsed: 90 * MiB - IDLE_GC_MIN_SLACK + 1 }, false],
    ["a second with exactly the minimum unused", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS, heapUsed: 90 * MiB - IDLE_GC_MIN_SLACK }, true],
    ["the second collection waits a second quiet period", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS - 1 }, false],
    ["… and then runs", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS }, true],
    ["the third after three periods", { collectionsWhileQuiet: 2, quietMs: 3 * IDLE_GC_QUIET_MS }, true],
    ["never a fourth in one quiet period, however long", { collectionsWhileQuiet: IDLE_GC_MAX_PER_QUIET, quietMs: 3_600_000 }, false]
  ])("%s → %s", (_, change, expected) => {
    expect(shouldCollectIdle({ ...quiet, ...change })).toBe(expected)
  })
})
