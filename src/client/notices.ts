// Failure notices (SPEC §8): the background failures a hook run's RunAccepted carries, printed once
// on stderr as one line per job, at most three, then "… and N more".
import type { FailureNotice } from "../protocol/types"
import { formatRelativeTime } from "./format"
import { jobLabel } from "./jobs-view"
import { terminalSafe } from "../protocol/terminal-text"

export const MAX_NOTICE_LINES = 3

const outcome = (n: FailureNotice): string => {
  if (n.status === "timed_out") return "timed out"
  if (n.status === "crashed") return "crashed (the supervisor stopped while it ran)"
  if (n.signal !== null) return `failed (${n.signal})`
  return n.exit_code === null ? "failed" : `failed (exit ${n.exit_code})`
}

/** `hookd: post-checkout job install failed (exit 1) 2m ago — hookctl logs 8b31c0de:install` (pure). */
export const formatFailureNotices = (notices: ReadonlyArray<FailureNotice>, now: number): string[] => {
  const lines = notices.slice(0, MAX_NOTICE_LINES).map((n) =>
    terminalSafe(`hookd: ${n.hook} job ${n.name} ${outcome(n)} ${formatRelativeTime(n.finished_at, now)} — hookctl logs ${jobLabel(n)}`)
  )
  if (notices.length > MAX_NOTICE_LINES) lines.push(`hookd: … and ${notices.length - MAX_NOTICE_LINES} more — hookctl ls --status failed`)
  return lines
}
