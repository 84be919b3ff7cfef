// `notify: true` (issue 12 item 3): what a desktop notification of a failed job says, and which
// program shows it — notify-send on Linux (and other freedesktop systems), osascript on macOS —
// when one is on the job's PATH. Pure: the caller says which programs exist and runs the command.
import type { JobStatus } from "./status"

/** The statuses a notification is for: the job failed. Never cancelled, superseded or skipped. */
export const NOTIFIED_STATUSES: ReadonlyArray<JobStatus> = ["failed", "timed_out", "crashed"]

export interface EndedJob {
  readonly hook: string
  readonly name: string
  readonly invocationId: string
  readonly status: JobStatus
  readonly exitCode: number | null
  readonly signal: string | null
}

export interface DesktopNotice {
  readonly title: string
  readonly body: string
}

const outcome = (job: EndedJob): string =>
  job.status === "timed_out"
    ? "timed out"
    : job.status === "crashed"
      ? "crashed"
      : job.signal !== null
        ? `failed (${job.signal})`
        : job.exitCode !== null
          ? `failed (exit ${job.exitCode})`
          : "failed"

/** `hookd: install failed (exit 1)` / `post-checkout job — hookctl logs 8b31c0de:install`; undefined when the job did not fail. */
export const desktopNotice = (job: EndedJob): DesktopNotice | undefined =>
  NOTIFIED_STATUSES.includes(job.status)
    ? { title: `hookd: ${job.name} ${outcome(job)}`, body: `${job.hook} job — hookctl logs ${job.invocationId.slice(0, 8)}:${job.name}` }
    : undefined

/** An AppleScript string literal: backslashes and double quotes escaped, line breaks as spaces. */
const appleScriptString = (text: string): string => `"${text.replace(/[\r\n]+/g, " ").replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`

export interface NoticeCommand {
  readonly file: string
  readonly args: ReadonlyArray<string>
}

/**
 * The program and arguments that show `notice` on `platform`, given where each program is found
 * (`find` returns its path, or undefined when it is not on PATH): undefined when none is — then
 * nothing is shown, silently.
 */
export const noticeCommand = (platform: string, find: (program: string) => string | undefined, notice: DesktopNotice): NoticeCommand | undefined => {
  if (platform === "darwin") {
    const osascript = find("osascript")
    return osascript === undefined
      ? undefined
      : { file: osascript, args: ["-e", `display notification ${appleScriptString(notice.body)} with title ${appleScriptString(notice.title)}`] }
  }
  if (platform === "win32") return undefined
  const notifySend = find("notify-send")
  // `--` ends the options: a title starting with "-" is still a title.
  return notifySend === undefined ? undefined : { file: notifySend, args: ["--app-name=hookd", "--", notice.title, notice.body] }
}
