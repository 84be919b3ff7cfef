// Paging ListJobs (protocol: `paged`, `cursor`, `next_cursor`). Pure: the order rows are listed
// in across repositories, the opaque cursor that resumes after a row, how each repository's query
// continues after it, and where a page ends. The handler reads, these decide.

/**
 * A listed row's place in the order: newest invocation first (created_at descending), then by
 * repository id, then the repository's own order — newest invocation row first, its jobs in
 * declaration (rowid) order. Every row has exactly one place, so a cursor never skips or repeats.
 */
export interface ListPosition {
  readonly createdAt: number
  readonly repoId: string
  readonly invocationRowid: number
  readonly jobRowid: number
}

export const compareListPositions = (a: ListPosition, b: ListPosition): number =>
  b.createdAt - a.createdAt ||
  (a.repoId < b.repoId ? -1 : a.repoId > b.repoId ? 1 : 0) ||
  b.invocationRowid - a.invocationRowid ||
  a.jobRowid - b.jobRowid

const CURSOR = /^1\.(\d{1,16})\.([0-9a-f]{16})\.(\d{1,16})\.(\d{1,16})$/

/** The cursor resuming after `position` (versioned, so its shape can change). */
export const encodeCursor = (position: ListPosition): string =>
  `1.${position.createdAt}.${position.repoId}.${position.invocationRowid}.${position.jobRowid}`

/** undefined for anything encodeCursor did not make. */
export const decodeCursor = (cursor: string): ListPosition | undefined => {
  const m = CURSOR.exec(cursor)
  if (m === null) return undefined
  return { createdAt: Number(m[1]), repoId: m[2], invocationRowid: Number(m[3]), jobRowid: Number(m[4]) }
}

/**
 * How one repository's rows continue after a cursor, as the store's keyset query takes it: rows
 * of invocations created before `createdAt` ("before"), at or before it ("at-or-before": a repo
 * ordered after the cursor's), or — in the cursor's own repo — also the rows after it within the
 * same created_at ("within"). No cursor: everything (at or before the largest time).
 */
export interface Keyset {
  readonly createdAt: number
  readonly mode: "before" | "at-or-before" | "within"
  readonly invocationRowid: number
  readonly jobRowid: number
}

export const keysetAfter = (cursor: ListPosition | undefined, repoId: string): Keyset => {
  if (cursor === undefined) return { createdAt: Number.MAX_SAFE_INTEGER, mode: "at-or-before", invocationRowid: 0, jobRowid: 0 }
  const mode = repoId < cursor.repoId ? "before" : repoId > cursor.repoId ? "at-or-before" : "within"
  return { createdAt: cursor.createdAt, mode, invocationRowid: cursor.invocationRowid, jobRowid: cursor.jobRowid }
}

/**
 * Whether the next row (`size` bytes encoded) still goes into a page already holding `rows` rows of
 * `bytes`: while the page stays within `maxBytes` — and always the first row, so paging always
 * moves on (one row is far below the frame cap: listings carry no environment).
 */
export const fitsPage = (rows: number, bytes: number, size: number, maxBytes: number): boolean =>
  rows === 0 || bytes + size <= maxBytes
