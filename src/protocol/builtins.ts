// Node modules that hookctl needs only on some paths, loaded on first use instead of with the
// bundle: child_process and crypto each cost every command's startup a few ms (issue 13), and only
// an autostart, a git question or an over-long socket path needs them; node:net only a connect
// the raw pipe could not make (protocol/raw-pipe.ts). Effect-free (shared).
import { createRequire } from "node:module"

/** process.getBuiltinModule (Node ≥ 20.16), else require: both return the module without an ESM namespace. */
const load = <T>(id: string): T => (process.getBuiltinModule?.(id) as T | undefined) ?? (createRequire(import.meta.url)(id) as T)

export const nodeChildProcess = (): typeof import("node:child_process") => load("node:child_process")
export const nodeCrypto = (): typeof import("node:crypto") => load("node:crypto")
export const nodeNet = (): typeof import("node:net") => load("node:net")
export const nodeUtil = (): typeof import("node:util") => load("node:util")
