// Everything a service command reads from the outside world, in one value, so tests can run the
// real code in-process against a temporary HOME, a PATH of stand-in tools and a forced platform.
import { locateInstallation, type Installation } from "./installation"

export type Env = Readonly<Record<string, string | undefined>>

export interface ServiceContext {
  readonly env: Env
  /** The OS we run on; `HOOKD_SERVICE_PLATFORM` in `env` overrides it (tests). */
  readonly platform: NodeJS.Platform
  readonly uid: number
  readonly installation: Installation
  /** Upper bound for each systemctl/launchctl call; the child is killed when it runs out. */
  readonly commandTimeoutMs: number
  readonly out: (text: string) => void
  readonly err: (text: string) => void
}

/**
 * 4 s per service-manager call: long enough for a slow `daemon-reload`, short enough that an
 * unreachable bus costs at most one timeout before `install` gives up on it and explains.
 */
export const COMMAND_TIMEOUT_MS = 4_000

export const processContext = (): ServiceContext => ({
  env: process.env,
  platform: process.platform,
  uid: typeof process.getuid === "function" ? process.getuid() : 0,
  installation: locateInstallation(),
  commandTimeoutMs: COMMAND_TIMEOUT_MS,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text)
})
