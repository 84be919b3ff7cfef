// What the loader's first stage (first-stage.ts) hands to the supervisor once its bundle has loaded:
// the singleton lock, the listening socket with the connections accepted meanwhile, the settings the
// Welcome answers were made from, and a signal that came before the supervisor listened for one.
// Effect-free and tiny: both dist/hookd.mjs and dist/hookd.cjs include it; they share one global.
import type * as net from "node:net"
import type { SupervisorSettings } from "../settings/read-settings"

export interface FirstStageListener {
  readonly server: net.Server
  /** Accepted, not yet closed; paused, with the bytes the first stage read but did not answer put back. */
  readonly connections: ReadonlyArray<net.Socket>
}

export interface FirstStageLink {
  /** Read once by the first stage; the supervisor uses them (its Welcome's started_at is the first stage's). */
  readonly settings: SupervisorSettings
  /** The socket-activation fd the first stage took from the environment (undefined: it bound settings.socketPath). */
  readonly activationFd: number | undefined
  /**
   * Called by the supervisor's main as its bundle runs: it takes over. A bundle that does not (a
   * damaged or half-written file) leaves the first stage to close everything instead of answering
   * Hellos for a supervisor that never comes.
   */
  readonly adopt: () => void
  /** How many requests the first stage answered itself. */
  readonly answered: () => number
  /** Stops the first stage's serving and hands over its listening server; call once, where the handler is attached. */
  readonly claim: () => FirstStageListener
  /** The signal received before the supervisor listened for signals, if any; the first stage stops listening. */
  readonly takeSignal: () => NodeJS.Signals | undefined
  /** Closes the singleton lock, and the listener and connections unless claimed. For the supervisor's scope. */
  readonly release: () => void
}

const LINK = Symbol.for("hookd.firstStage")

/** The first stage's hand-over; undefined when the supervisor started without one (tests, a fallback). */
export const firstStageLink = (): FirstStageLink | undefined => (globalThis as Record<symbol, FirstStageLink | undefined>)[LINK]

export const publishFirstStageLink = (link: FirstStageLink): void => {
  ;(globalThis as Record<symbol, FirstStageLink>)[LINK] = link
}
