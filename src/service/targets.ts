// Which service manager, and where its files go for this user. Pure functions of the environment.
import { homedir } from "node:os"
import { isAbsolute, join } from "node:path"
import type { Env } from "./context"

export type ServicePlatform = "linux" | "darwin"

/** The LaunchAgent's reverse-DNS label; also its plist's file name. */
export const LAUNCHD_LABEL = "dev.hookd.supervisor"
export const SYSTEMD_SOCKET_UNIT = "hookd.socket"
export const SYSTEMD_SERVICE_UNIT = "hookd.service"

export type PlatformChoice =
  | { readonly ok: true; readonly platform: ServicePlatform }
  | { readonly ok: false; readonly message: string; readonly usage: boolean }

/** `HOOKD_SERVICE_PLATFORM=linux|darwin` forces a platform (tests); otherwise the OS decides. */
export const choosePlatform = (env: Env, os: NodeJS.Platform): PlatformChoice => {
  const forced = env.HOOKD_SERVICE_PLATFORM
  if (forced !== undefined && forced !== "") {
    return forced === "linux" || forced === "darwin"
      ? { ok: true, platform: forced }
      : { ok: false, usage: true, message: `HOOKD_SERVICE_PLATFORM must be "linux" or "darwin", not ${JSON.stringify(forced)}` }
  }
  if (os === "linux" || os === "darwin") return { ok: true, platform: os }
  return {
    ok: false,
    usage: false,
    message: `hookctl service supports Linux (systemd) and macOS (launchd), not ${os}`
  }
}

export const homeOf = (env: Env): string => env.HOME || homedir()

/** `$XDG_CONFIG_HOME/systemd/user` (a relative XDG_CONFIG_HOME is ignored, as the spec says). */
export const systemdUserDir = (env: Env): string => {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homeOf(env), ".config")
  return join(config, "systemd", "user")
}

export const launchAgentsDir = (env: Env): string => join(homeOf(env), "Library", "LaunchAgents")
export const launchAgentPath = (env: Env): string => join(launchAgentsDir(env), `${LAUNCHD_LABEL}.plist`)
export const launchdLogDir = (env: Env): string => join(homeOf(env), "Library", "Logs", "hookd")

/** Where systemd's socket unit listens (`%t/hookd/hookd.sock`), when the runtime dir is known. */
export const systemdSocketPath = (env: Env): string | undefined =>
  env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "hookd", "hookd.sock") : undefined

/** The files the service consists of on this platform. */
export const serviceFiles = (platform: ServicePlatform, env: Env): ReadonlyArray<string> =>
  platform === "linux"
    ? [join(systemdUserDir(env), SYSTEMD_SOCKET_UNIT), join(systemdUserDir(env), SYSTEMD_SERVICE_UNIT)]
    : [launchAgentPath(env)]
