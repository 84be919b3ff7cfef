// The supervisor's settings as a service (read by read-settings.ts, once, at start).
import { Context, Layer } from "effect"
import type { SupervisorSettings } from "./read-settings"

export { HOOKD_USAGE, readSettings, UsageError, type SupervisorSettings } from "./read-settings"

export const Settings = Context.GenericTag<SupervisorSettings>("hookd/Settings")

export const layerSettings = (settings: SupervisorSettings) => Layer.succeed(Settings, settings)
