// When an idle supervisor collects its garbage (issue 13: RSS after a burst of jobs). V8 grows the
// young generation to 32 MB and the old one to what a burst needed, and keeps both while nothing
// allocates: a 1,000-job burst left ~160 MiB resident for good. Full collections once the process
// has been quiet for a few seconds give it back. V8 shrinks the young generation only when the
// allocation rate it measured over the last ~5 s of collections is low, so the first collection
// (whose measure still spans the burst's end) frees the old generation, and a second one a quiet
// period later the young one: at 6, 12 and 18 s of quiet at most.

export interface HeapSample {
  /** A live job or a request in flight. */
  readonly busy: boolean
  /** How long the supervisor has been quiet (0 while busy), ms. */
  readonly quietMs: number
  /** process.memoryUsage(): V8's heap size and what of it is in use, bytes. */
  readonly heapTotal: number
  readonly heapUsed: number
  /** Collections made since the supervisor was last busy. */
  readonly collectionsWhileQuiet: number
}

/** Quiet this long before each collection (V8 judges the allocation rate over the last ~5 s). */
export const IDLE_GC_QUIET_MS = 6_000
/** Only a heap with at least this much unused is worth a second or third collection. */
export const IDLE_GC_MIN_SLACK = 8 * 1024 * 1024
/** At most this many per quiet period: an idle supervisor whose heap does not shrink stops trying. */
export const IDLE_GC_MAX_PER_QUIET = 3

export const shouldCollectIdle = (s: HeapSample): boolean =>
  !s.busy &&
  s.collectionsWhileQuiet < IDLE_GC_MAX_PER_QUIET &&
  s.quietMs >= IDLE_GC_QUIET_MS * (s.collectionsWhileQuiet + 1) &&
  // The first collection of a quiet period always runs (one ~10–30 ms pause after activity); the
  // later ones only while a good part of the heap is still unused.
  (s.collectionsWhileQuiet === 0 || s.heapTotal - s.heapUsed >= IDLE_GC_MIN_SLACK)
