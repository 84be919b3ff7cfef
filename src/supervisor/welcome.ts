// The Welcome a Hello is answered with: what is known before any layer is built. One definition for
// the supervisor's handler (handlers/status.ts) and its first stage (first-stage.ts), which answers
// Hellos while the bundle loads and must answer them exactly alike. Effect-free.
import { LOG_FORMAT_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type ResponsePayloads } from "../protocol/types"
import type { SupervisorSettings } from "../settings/read-settings"

export const welcomeOf = (settings: SupervisorSettings, pid: number): ResponsePayloads["Welcome"] => ({
  server_version: settings.version,
  protocol_versions: SUPPORTED_PROTOCOL_VERSIONS,
  pid,
  started_at: settings.startedAt,
  state_dir: settings.stateDir,
  log_format: LOG_FORMAT_VERSION
})
