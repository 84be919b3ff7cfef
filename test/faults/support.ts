// Shared pieces of the fault suite (npm run test:faults). Each check prints its figures on one
// line, `fault <name>: …`, so a run shows what was exercised. HOOKD_FAULTS=full runs the long
// rounds of the original fault run; by default (and in CI) a short form of each runs.
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from "node:fs"

export const FULL = process.env.HOOKD_FAULTS === "full"

/** Short form unless HOOKD_FAULTS=full. */
export const scale = (short: number, full: number): number => (FULL ? full : short)

export const figures = (name: string, values: Record<string, string | number>): void => {
  const text = Object.entries(values).map(([k, v]) => `${k}=${v}`).join(" ")
  console.log(`fault ${name}${FULL ? " (full)" : ""}: ${text}`)
}

/** `PRAGMA integrity_check` with the sqlite3 CLI on a database no supervisor has open. */
export const integrityCheck = (dbPath: string): string =>
  execFileSync("sqlite3", [dbPath, "PRAGMA integrity_check;"], { encoding: "utf8" }).trim()

/** Live (non-zombie) processes whose process group is `pgid`, from /proc. */
export const liveInGroup = (pgid: number): number[] =>
  readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
        return fields[0] !== "Z" && Number(fields[2]) === pgid ? [Number(pid)] : []
      } catch {
        return []
      }
    })

/** Garbles every page of a database behind its header, in place (as a bad disk or a stray write would). */
export const garble = (dbPath: string): void => {
  const fd = openSync(dbPath, "r+")
  try {
    writeSync(fd, randomBytes(statSync(dbPath).size - 4096), 0, undefined, 4096)
  } finally {
    closeSync(fd)
  }
}
