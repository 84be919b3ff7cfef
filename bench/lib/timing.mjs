// Statistics and wall-time measurement of short commands, shared by the benchmarks.
import { spawnSync } from "node:child_process"

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Nearest-rank percentile (p in 0..100) of the samples. */
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

/** Wall time of one synchronous child run, in ms; throws when it exits non-zero. */
export const timeOnce = (command, args, { cwd, env, timeoutMs = 60_000 } = {}) => {
  const start = process.hrtime.bigint()
  const r = spawnSync(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"], timeout: timeoutMs })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${r.status ?? r.signal}: ${String(r.stderr).trim().slice(0, 300)}`)
  }
  return ms
}

/** `node -e 0`, the yardstick every process-start figure is compared with. */
export const BARE_NODE = { command: process.execPath, args: ["-e", "0"] }

/** Rejects with `label` if the promise does not settle within ms: no benchmark may hang. */
export const withTimeout = (promise, ms, label) => {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
