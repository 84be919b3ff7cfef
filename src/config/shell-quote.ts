// POSIX shell quoting for values substituted into a job's `run` (which runs as `sh -c <run>`).

/**
 * Quotes one word for `sh`: always single quotes, so nothing inside is expanded; an embedded
 * single quote becomes `'\''` (close, escaped quote, reopen). The empty string becomes `''`.
 */
export const shellQuote = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`

/** Quotes every word and joins them with single spaces; no words gives the empty string. */
export const shellQuoteAll = (words: ReadonlyArray<string>): string => words.map(shellQuote).join(" ")
