// Process-table facts for assertions: which processes of a group are still alive.
import { readdirSync, readFileSync } from "node:fs"

/** Pids of live (non-zombie) processes whose process group is `pgid` (Linux /proc). */
export const liveMembersOfGroup = (pgid: number): number[] => {
  const members: number[] = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      // fields[0] = state, fields[2] = pgrp
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry))
    } catch {
      // the process exited while we looked
    }
  }
  return members
}

/**
 * Resolves once `pid` is gone or a zombie. For a process that is not our child (a supervisor that
 * hookctl auto-started) there is no exit event to await, so this polls /proc — for cleanup only.
 * The bound catches a process that never exits; a loaded machine can take seconds for a teardown.
 */
export const awaitProcessGone = async (pid: number, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  const alive = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z"
    } catch {
      return false
    }
  }
  while (alive()) {
    if (Date.now() > deadline) throw new Error(`process ${pid} is still alive after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
