// The version handshake's one visible effect: when the running supervisor is another version than this
// hookctl (say, after an upgrade), say so once per supervisor start — remembered in a small file in the
// supervisor's state dir, keyed by its pid and start time — and tell how to restart it.
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { ResponsePayloads } from "../protocol/types"
import type { Greeting } from "./connection"
import { HOOKCTL_VERSION } from "./version"

type Welcome = ResponsePayloads["Welcome"]

export const NOTICE_FILE_NAME = "hookctl-version-notice"

export const versionMismatchMessage = (server: string, client: string): string =>
  `hookd: the running supervisor is ${server}, this hookctl is ${client} — hookctl shutdown to restart it`

/** The notice to print for this Welcome, or undefined (same version, or already said to this supervisor). */
export const versionNotice = (welcome: Welcome, clientVersion: string): string | undefined => {
  if (welcome.server_version === clientVersion) return undefined
  const file = join(welcome.state_dir, NOTICE_FILE_NAME)
  const key = `${welcome.pid} ${welcome.started_at} ${welcome.server_version} ${clientVersion}`
  try {
    if (readFileSync(file, "utf8").trim() === key) return undefined
  } catch {
    // no notice given yet
  }
  try {
    writeFileSync(file, key + "\n", { mode: 0o600 })
  } catch {
    // an unwritable state dir: the notice repeats, which is better than never showing it
  }
  return versionMismatchMessage(welcome.server_version, clientVersion)
}

/** The Hello every command connection sends, and what hookctl does with the Welcome. */
export const commandGreeting = (): Greeting => ({
  hello: { client: "hookctl", client_version: HOOKCTL_VERSION },
  onWelcome: (welcome) => {
    const notice = versionNotice(welcome, HOOKCTL_VERSION)
    if (notice !== undefined) process.stderr.write(notice + "\n")
  }
})
