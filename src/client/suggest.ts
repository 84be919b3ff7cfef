// Did-you-mean: the closest known word to a mistyped one (commands, flags, job names). Pure.

/** Optimal-string-alignment distance: Levenshtein plus one adjacent transposition ("chekc" → "check" is 1). */
export const editDistance = (a: string, b: string): number => {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo: at most a third of the
 * word's length in edits (at least 1, at most 3), or `word` is a prefix of exactly one candidate.
 * Ties go to the earlier candidate, so callers list the likelier words first.
 */
export const closest = (word: string, candidates: Iterable<string>): string | undefined => {
  const lower = word.toLowerCase()
  const list = [...new Set(candidates)].filter((c) => c !== word)
  const limit = Math.min(3, Math.max(1, Math.floor(lower.length / 3)))
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of list) {
    const distance = editDistance(lower, c.toLowerCase())
    if (distance < bestDistance) {
      best = c
      bestDistance = distance
    }
  }
  if (best !== undefined && bestDistance <= limit) return best
  const prefixed = lower.length >= 2 ? list.filter((c) => c.toLowerCase().startsWith(lower)) : []
  return prefixed.length === 1 ? prefixed[0] : undefined
}

/** ` — did you mean "check"?` or "" — to append to a "not found" message. */
export const didYouMean = (word: string, candidates: Iterable<string>, quote: (w: string) => string = (w) => `"${w}"`): string => {
  const match = closest(word, candidates)
  return match === undefined ? "" : ` — did you mean ${quote(match)}?`
}
