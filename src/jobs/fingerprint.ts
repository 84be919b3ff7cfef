// A process fingerprint ties a pid to one particular process: "<boot id>:<start time>" (SPEC §6).
// Reconcile compares it before signalling a recorded pid, so a reused pid is never killed.
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"

/** Whether a process with this pid exists (EPERM: it does, it is another user's). */
export const pidExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException)?.code === "EPERM"
  }
}

/** The fields of `/proc/<pid>/stat` after the command name; index 0 is field 3 (state). */
export const statFieldsAfterComm = (stat: string): ReadonlyArray<string> | undefined => {
  // comm is "(...)" and may itself contain spaces and parentheses, so cut at the LAST ')'.
  const close = stat.lastIndexOf(")")
  if (close === -1) return undefined
  return stat.slice(close + 1).trim().split(/\s+/)
}

/** Field 22 (start time in clock ticks since boot) of a `/proc/<pid>/stat` line. */
export const startTimeFromStat = (stat: string): string | undefined => statFieldsAfterComm(stat)?.[19]

let cachedBootId: string | undefined

const linuxBootId = (): string => {
  cachedBootId ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
  return cachedBootId
}

/** The fingerprint of the process whose `/proc/<pid>/stat` line this is (Linux; read by the spawner). */
export const fingerprintFromStat = (stat: string): string | undefined => {
  const start = startTimeFromStat(stat)
  return start === undefined ? undefined : `${linuxBootId()}:${start}`
}

const linuxFingerprint = (pid: number): string | undefined => {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return undefined
  }
  return fingerprintFromStat(stat)
}

const runQuiet = (file: string, args: ReadonlyArray<string>): string | undefined => {
  try {
    return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}

const darwinBootTime = (): string => {
  // "{ sec = 1732450000, usec = 123456 } Sun Nov 24 ..." → the seconds identify the boot.
  cachedBootId ??= runQuiet("sysctl", ["-n", "kern.boottime"])?.match(/sec\s*=\s*(\d+)/)?.[1] ?? "unknown-boot"
  return cachedBootId
}

const darwinFingerprint = (pid: number): string | undefined => {
  const start = runQuiet("ps", ["-o", "lstart=", "-p", String(pid)])
  return start ? `${darwinBootTime()}:${start.replace(/\s+/g, " ")}` : undefined
}

/** `"<boot id>:<start time>"` of a live process, or undefined when no process has that pid. */
export const processFingerprint = (pid: number): string | undefined => {
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return process.platform === "linux" ? linuxFingerprint(pid) : darwinFingerprint(pid)
}
