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
