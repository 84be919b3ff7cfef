// `notify: true` (issue 12 item 3): a desktop notification when a job fails, shown by notify-send
// (Linux) or osascript (macOS) found on the job's own PATH, with the job's environment (DISPLAY,
// DBUS_SESSION_BUS_ADDRESS come from the hook that started it). Fire and forget: no program, a
// program that fails or hangs — nothing of it ever reaches the job, the hook or the supervisor.
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { accessSync, constants, statSync } from "node:fs"
import { delimiter, isAbsolute, join } from "node:path"
import { desktopNotice, noticeCommand, type EndedJob } from "../domain/desktop-notice"
import { logInfo } from "../logging/event-log"

/** A notifier that has not exited by then is killed (a notification daemon that never answers). */
const NOTIFIER_TIMEOUT_MS = 10_000

/** The executable `program` in the first PATH directory that has one (absolute directories only). */
export const findOnPath = (program: string, path: string | undefined): string | undefined => {
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/** The job's end as the notice needs it, from its terminal row fields. */
export const endedJob = (
  hook: string,
  name: string,
  invocationId: string,
  patch: { readonly status: EndedJob["status"]; readonly exit_code?: number | null; readonly signal?: string | null }
): EndedJob => ({ hook, name, invocationId, status: patch.status, exitCode: patch.exit_code ?? null, signal: patch.signal ?? null })

/** Shows the notification for `job` if it failed and a notifier is on `env.PATH`; never fails. */
export const notifyDesktop = (job: EndedJob, env: Readonly<Record<string, string>>): Effect.Effect<void> =>
  Effect.suspend(() => {
    const notice = desktopNotice(job)
    if (notice === undefined) return Effect.void
    const command = noticeCommand(process.platform, (program) => findOnPath(program, env.PATH), notice)
    if (command === undefined) return Effect.void
    try {
      const child = spawn(command.file, [...command.args], { env: { ...env }, stdio: "ignore", detached: true, timeout: NOTIFIER_TIMEOUT_MS })
      child.on("error", () => undefined)
      child.unref()
    } catch {
      return Effect.void
    }
    return logInfo("desktop_notification", { job: job.name, invocation_id: job.invocationId, program: command.file })
  })
