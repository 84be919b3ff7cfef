// Durations and sizes as people write them in hookd.yml and on the hookctl command line.
// The client imports this file (`--since 10m`, `--older-than 30d`): it must not import `effect`.

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1
}
/** Units in the order they must appear in a compound duration ("1h30m", never "30m1h"). */
const DURATION_UNIT_ORDER = ["d", "h", "m", "s", "ms"] as const

/** One duration component: a number followed by a unit (`ms` before `m`, so it is tried first). */
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/y

/** Regular expression for the JSON Schema of the config; `parseDuration` is the authority. */
export const DURATION_PATTERN = "^(\\d+|(\\d+(\\.\\d+)?(d|h|m|s|ms))+)$"

/**
 * Parses a duration into milliseconds: `500ms`, `30s`, `10m`, `1h`, `7d`, compounds in
 * descending order without spaces (`1h30m`, `2d12h`), decimals per part (`1.5h`), or a plain
 * integer meaning seconds (`30`). Units are lower-case. Returns undefined for anything else.
 */
export const parseDuration = (text: string): number | undefined => {
  const s = text.trim()
  if (s === "") return undefined
  if (/^\d+$/.test(s)) return Number(s) * 1000
  let total = 0
  let position = 0
  let lastUnitIndex = -1
  DURATION_PART.lastIndex = 0
  while (position < s.length) {
    DURATION_PART.lastIndex = position
    const match = DURATION_PART.exec(s)
    if (match === null) return undefined
    const unitIndex = DURATION_UNIT_ORDER.indexOf(match[2] as (typeof DURATION_UNIT_ORDER)[number])
    if (unitIndex <= lastUnitIndex) return undefined // repeated or out-of-order unit ("30m1h", "1m1m")
    lastUnitIndex = unitIndex
    total += Number(match[1]) * MS_PER_UNIT[match[2]]
    position = DURATION_PART.lastIndex
  }
  return Number.isFinite(total) ? Math.round(total) : undefined
}

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40
}

const SIZE = /^(\d+(?:\.\d+)?) ?([A-Za-z]*)$/

/** Regular expression for the JSON Schema of the config; `parseSize` is the authority. */
export const SIZE_PATTERN = "^\\d+(\\.\\d+)? ?([bB]|[kKmMgGtT][iI]?[bB])?$"

/**
 * Parses a size into bytes: a plain integer is bytes; `KB`/`MB`/`GB`/`TB` are decimal
 * (10^3, 10^6, …) and `KiB`/`MiB`/`GiB`/`TiB` binary (2^10, 2^20, …), case-insensitive,
 * with an optional single space (`10MB`, `10 MiB`, `1.5GB`). Returns undefined for anything else.
 */
export const parseSize = (text: string): number | undefined => {
  const match = SIZE.exec(text.trim())
  if (match === null) return undefined
  const unit = match[2].toLowerCase()
  if (unit === "" && match[1].includes(".")) return undefined // fractional bytes make no sense
  const factor = unit === "" ? 1 : BYTES_PER_UNIT[unit]
  if (factor === undefined) return undefined
  const bytes = Math.round(Number(match[1]) * factor)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** Regular expression for the JSON Schema of the config; `parseCpuPercent` is the authority. */
export const CPU_PERCENT_PATTERN = "^\\d+(\\.\\d+)?%$"

/**
 * A CPU share as `limits.cpu` takes it: `50%` is half of one CPU, `200%` two CPUs. Returns the
 * percentage (> 0), or undefined for anything else (`0%`, `50`, `half`).
 */
export const parseCpuPercent = (text: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text.trim())
  if (match === null) return undefined
  const percent = Number(match[1])
  return percent > 0 && Number.isFinite(percent) ? percent : undefined
}
