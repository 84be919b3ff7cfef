// Pure text formatting for humans: durations, relative times, sizes, paths, colours.
// No I/O here; every function is unit-tested in test/client/format.test.ts.

const pad2 = (n: number) => String(n).padStart(2, "0")

/** `36ms`, `12s`, `1m32s`, `2h05m`, `3d04h`; `-` for null. */
export const formatDuration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-"
  const value = Math.max(0, ms)
  if (value < 1000) return `${Math.floor(value)}ms`
  const secs = Math.floor(value / 1000)
  if (secs < 60) return `${secs}s`
  const mins = Math.floor(secs / 60)
  if (mins < 60) return `${mins}m${pad2(secs % 60)}s`
  const hours = Math.floor(mins / 60)
  if (hours < 24) return `${hours}h${pad2(mins % 60)}m`
  return `${Math.floor(hours / 24)}d${pad2(hours % 24)}h`
}

/** `just now`, `12s ago`, `3m ago`, `5h ago`, `2d ago`; `-` for null. A time in the future reads `just now`. */
export const formatRelativeTime = (then: number | null | undefined, now: number): string => {
  if (then === null || then === undefined || !Number.isFinite(then)) return "-"
  const secs = Math.floor((now - then) / 1000)
  if (secs < 1) return "just now"
  if (secs < 60) return `${secs}s ago`
  const mins = Math.floor(secs / 60)
  if (mins < 60) return `${mins}m ago`
  const hours = Math.floor(mins / 60)
  if (hours < 48) return `${hours}h ago`
  return `${Math.floor(hours / 24)}d ago`
}

const SIZE_UNITS = ["KiB", "MiB", "GiB", "TiB"]

/** `0 B`, `512 B`, `1.5 KiB`, `12 MiB`; `-` for null. */
export const formatBytes = (bytes: number | null | undefined): string => {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "-"
  if (bytes < 1024) return `${Math.max(0, Math.floor(bytes))} B`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${SIZE_UNITS[unit]}`
}

/** Cuts `text` to `width` characters, marking the cut with `…` at the end. */
export const truncateEnd = (text: string, width: number): string =>
  text.length <= width ? text : width <= 1 ? "…".slice(0, width) : text.slice(0, width - 1) + "…"

/** Cuts a path to `width`, keeping its end (the informative part): `…/checkouts/web`. */
export const truncateStart = (text: string, width: number): string =>
  text.length <= width ? text : width <= 1 ? "…".slice(0, width) : "…" + text.slice(text.length - (width - 1))

/** `~/src/web` for a path under home. */
export const shortenHome = (path: string, home: string | undefined): string => {
  const base = home?.replace(/\/+$/, "")
  if (!base) return path
  return path === base || path.startsWith(base + "/") ? "~" + path.slice(base.length) : path
}

// ---------------------------------------------------------------- colour

/** Colour only on a TTY, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export const shouldUseColour = (isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean =>
  isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "")

export type Colour = "red" | "green" | "yellow" | "blue" | "cyan" | "dim" | "bold"
const SGR: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22]
}

export const paint = (text: string, colour: Colour | undefined, enabled: boolean): string =>
  enabled && colour && text !== "" ? `\x1b[${SGR[colour][0]}m${text}\x1b[${SGR[colour][1]}m` : text

/** The colour a job status is shown in. */
export const statusColour = (status: string): Colour | undefined => {
  switch (status) {
    case "running":
      return "cyan"
    case "completed":
      return "green"
    case "failed":
    case "timed_out":
    case "crashed":
      return "red"
    case "cancelled":
    case "cancelling":
      return "yellow"
    case "queued":
    case "skipped":
      return "dim"
    default:
      return undefined
  }
}

/** The attempt fields of a JobInfo (absent from an older supervisor's answers). */
export interface AttemptFacts {
  readonly attempt?: number | undefined
  readonly max_attempts?: number | undefined
  readonly retry_at?: number | null | undefined
}

/**
 * Where a job with `retry:` is in its attempts, once past the first: `retry 2/3` while it waits for
 * attempt 2 (queued, with a retry_at), else `attempt 2/3`. Empty for a job on its first attempt.
 */
export const attemptText = (facts: AttemptFacts, status: string): string => {
  const { attempt = 1, max_attempts = 1 } = facts
  if (max_attempts <= 1 || attempt <= 1) return ""
  return status === "queued" && facts.retry_at != null ? `retry ${attempt}/${max_attempts}` : `attempt ${attempt}/${max_attempts}`
}

/**
 * Live statuses get a marker so they stand out in a table: `● running`. A run replaced by a newer
 * run of the same job (concurrency replace; its `error` is "superseded by <inv>") is
 * `cancelled (superseded)`, not to be confused with a cancel by the user. A retried job says which
 * attempt it is at: `● running (attempt 2/3)`, `queued (retry 3/3)`, `completed (attempt 3/3)`.
 */
export const statusLabel = (status: string, error: string | null = null, attempts: AttemptFacts = {}): string => {
  const notes = [
    ...(status === "cancelled" && error?.startsWith("superseded by ") === true ? ["superseded"] : []),
    attemptText(attempts, status)
  ].filter((n) => n !== "")
  const label = status === "running" || status === "cancelling" ? `● ${status}` : status
  return notes.length === 0 ? label : `${label} (${notes.join(", ")})`
}
