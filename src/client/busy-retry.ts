// How long hookctl keeps knocking when the supervisor answers BUSY (issue 14 item 6): a full house
// of connections or a moment of shutdown is usually over in well under a second, and a git hook
// must not fail because it arrived in that moment. Pure and effect-free (hookctl loads it).

/** The whole retry budget: past it the BUSY answer is shown as it came (exit 3). */
export const DEFAULT_BUSY_RETRY_MS = 2_000
const FIRST_DELAY_MS = 25
const MAX_DELAY_MS = 400

/**
 * The budget from HOOKD_BUSY_RETRY_MS (milliseconds, 0 = never retry); anything else that is not a
 * whole number of milliseconds means the default (a bad value must not make a hook fail).
 */
export const busyRetryBudgetMs = (env: Readonly<Record<string, string | undefined>>): number => {
  const text = env.HOOKD_BUSY_RETRY_MS?.trim()
  if (text === undefined || !/^\d{1,7}$/.test(text)) return DEFAULT_BUSY_RETRY_MS
  return Number(text)
}

/**
 * The pause before retry number `attempt` (1, 2, …) — doubling from 25 ms up to 400 ms, each with up
 * to half again of random jitter (`random` in [0, 1)) so clients turned away together do not come
 * back together — or undefined when it would end past the budget (`elapsedMs` since the first BUSY).
 */
export const busyRetryDelayMs = (attempt: number, elapsedMs: number, budgetMs: number, random: number): number | undefined => {
  const base = Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS)
  const delay = Math.round(base * (1 + random / 2))
  return elapsedMs + delay > budgetMs ? undefined : delay
}
