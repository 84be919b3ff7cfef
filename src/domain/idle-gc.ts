// When an idle supervisor collects its garbage (issue 13: RSS after a burst of jobs, idle RSS after
// start). V8 grows the young generation to 16 MB (--optimize-for-size) and the old one to what a
// burst or the start-up needed, and keeps both while nothing allocates: a 1,000-job burst left ~160
// MiB resident for good, and a supervisor that had only started kept ~80. Full collections once the
// process has been quiet give it back. V8 shrinks the young generation only when the allocation
// rate it measured since its previous collections is low:
// - after activity (jobs, requests) the first collection comes after 6 s of quiet and frees the old
//   generation (its measure still spans the burst's end), a second one a quiet period later the
//   young one: at 6, 12 and 18 s of quiet at most;
// - right after start-up, when nothing has happened since, two young-generation collections back to
//   back 1 s in (or once the start-up work is done): V8 then shrinks the young generation (16 MB of start-up garbage, half of it
//   resident) and runs a memory-reducing collection of its own within ~100 ms — 2 s after start RSS
//   72 instead of 80 MiB (bench/memory-ab.mjs); a full collection 300 ms later gives back the old
//   generation's pages that one freed (64 instead of 67 MiB at the time). Measured, as V8's
//   heuristics are not documented: one young collection alone, or a full collection first, leave
//   RSS at 78–80 MiB. When V8's own collection does not come within 500 ms (no history at all:
//   RSS stayed at 71.7 MiB) the full one is made all the same, and a second once the first's
//   sweeping is done (the old generation's emptied pages: 3.3 MiB); then runs of young-generation
//   collections until V8 shrinks that generation to 1 MB (it stayed at 4 MB, 1.3 MB resident).

export interface HeapSample {
  /** A live job or a request in flight. */
  readonly busy: boolean
  /** How long the supervisor has been quiet (0 while busy), ms. */
  readonly quietMs: number
  /** Nothing (no job, no request) has been seen since the supervisor started. */
  readonly quietSinceStart: boolean
  /** The start-up work (opening, reconciling and sweeping every repository) is done. */
  readonly startupDone: boolean
  /** process.memoryUsage(): V8's heap size and what of it is in use, bytes. */
  readonly heapTotal: number
  readonly heapUsed: number
  /** Collections made since the supervisor was last busy. */
  readonly collectionsWhileQuiet: number
}

/** Quiet this long before each collection (V8 judges the allocation rate over the last ~5 s). */
export const IDLE_GC_QUIET_MS = 6_000
/** A supervisor that has only started collects this soon (its start-up work is done by then). */
export const IDLE_GC_AFTER_START_MS = 1_000
/** Only a heap with at least this much unused is worth a second or third collection. */
export const IDLE_GC_MIN_SLACK = 8 * 1024 * 1024
/** At most this many per quiet period: an idle supervisor whose heap does not shrink stops trying. */
export const IDLE_GC_MAX_PER_QUIET = 3

/** What to collect now: nothing, the whole heap, or the start-up sequence (two young-generation collections, then a full one). */
export type IdleCollection = "none" | "full" | "after-start"

export const idleCollection = (s: HeapSample): IdleCollection => {
  if (s.busy || s.collectionsWhileQuiet >= IDLE_GC_MAX_PER_QUIET) return "none"
  // Start-up work still running after a whole quiet period (a huge history): the usual rule.
  if (s.quietSinceStart && s.collectionsWhileQuiet === 0 && s.startupDone) return s.quietMs >= IDLE_GC_AFTER_START_MS ? "after-start" : "none"
  if (s.quietMs < IDLE_GC_QUIET_MS * (s.collectionsWhileQuiet + 1)) return "none"
  // The first collection of a quiet period always runs (one ~10–30 ms pause after activity); the
  // later ones only while a good part of the heap is still unused.
  return s.collectionsWhileQuiet === 0 || s.heapTotal - s.heapUsed >= IDLE_GC_MIN_SLACK ? "full" : "none"
}
