// When an idle supervisor collects: quiet long enough (longer before each further collection),
// the first always and later ones only with enough unused heap, at most three times per quiet period,
// never while busy; a supervisor quiet since it started collects its young generation twice, 1 s in
// or once its start-up work is done.
import { describe, expect, it } from "vitest"
import {
  IDLE_GC_AFTER_START_MS,
  IDLE_GC_MAX_PER_QUIET,
  IDLE_GC_MIN_SLACK,
  IDLE_GC_QUIET_MS,
  idleCollection,
  type HeapSample,
  type IdleCollection
} from "../../src/domain/idle-gc"

const MiB = 1024 * 1024
const quiet: HeapSample = { busy: false, quietMs: IDLE_GC_QUIET_MS, quietSinceStart: false, startupDone: true, heapTotal: 90 * MiB, heapUsed: 60 * MiB, collectionsWhileQuiet: 0 }
const justStarted: Partial<HeapSample> = { quietSinceStart: true, quietMs: IDLE_GC_AFTER_START_MS }

describe("idleCollection", () => {
  it.each<[string, Partial<HeapSample>, IdleCollection]>([
    ["quiet for the period, 30 MiB unused", {}, "full"],
    ["busy (a job or a request)", { busy: true }, "none"],
    ["quiet, but not long enough yet", { quietMs: IDLE_GC_QUIET_MS - 1 }, "none"],
    ["after activity, not at the start-up delay", { quietMs: IDLE_GC_AFTER_START_MS }, "none"],
    ["the first of a quiet period, however little is unused", { heapUsed: 90 * MiB }, "full"],
    ["a second with too little unused heap to be worth it", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS, heapUsed: 90 * MiB - IDLE_GC_MIN_SLACK + 1 }, "none"],
    ["a second with exactly the minimum unused", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS, heapUsed: 90 * MiB - IDLE_GC_MIN_SLACK }, "full"],
    ["the second collection waits a second quiet period", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS - 1 }, "none"],
    ["… and then runs", { collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS }, "full"],
    ["the third after three periods", { collectionsWhileQuiet: 2, quietMs: 3 * IDLE_GC_QUIET_MS }, "full"],
    ["never a fourth in one quiet period, however long", { collectionsWhileQuiet: IDLE_GC_MAX_PER_QUIET, quietMs: 3_600_000 }, "none"],
    ["quiet since start: the start-up pair at the start-up delay", justStarted, "after-start"],
    ["quiet since start, however little is unused", { ...justStarted, heapUsed: 90 * MiB }, "after-start"],
    ["quiet since start, not yet", { ...justStarted, quietMs: IDLE_GC_AFTER_START_MS - 1 }, "none"],
    ["quiet since start but busy now", { ...justStarted, busy: true }, "none"],
    ["quiet since start, the start-up work not done yet", { ...justStarted, startupDone: false }, "none"],
    ["… but a whole quiet period without it done: the usual full one", { ...justStarted, startupDone: false, quietMs: IDLE_GC_QUIET_MS }, "full"],
    ["after the start-up pair, the next waits two quiet periods", { ...justStarted, collectionsWhileQuiet: 1, quietMs: IDLE_GC_QUIET_MS }, "none"],
    ["… and runs then, with enough unused", { ...justStarted, collectionsWhileQuiet: 1, quietMs: 2 * IDLE_GC_QUIET_MS }, "full"]
  ])("%s → %s", (_, change, expected) => {
    expect(idleCollection({ ...quiet, ...change })).toBe(expected)
  })
})
