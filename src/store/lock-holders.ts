// Who has a database file open right now? (issue 14 item 2) A `<db>.lock` directory is only stale
// when no live process holds the database: the singleton alone is not proof (two supervisors once
// ran on one state dir reached through a symlink). node-sqlite3-wasm keeps the database file open
// for as long as a connection is, so on Linux /proc/<pid>/fd tells who holds it.
import { readdirSync, readlinkSync, realpathSync } from "node:fs"

/** Pids (other than ours) with `file` open; empty where /proc does not exist (other platforms). */
export const processesHolding = (file: string, procRoot = "/proc"): number[] => {
  let target: string
  let pids: string[]
  try {
    target = realpathSync(file)
    pids = readdirSync(procRoot).filter((name) => /^\d+$/.test(name))
  } catch {
    return []
  }
  const holders: number[] = []
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue
    let fds: string[]
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`)
    } catch {
      continue // gone, or another user's process (which cannot open our 0600 file anyway)
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`${procRoot}/${pid}/fd/${fd}`) === target) {
          holders.push(Number(pid))
          break
        }
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return holders
}
