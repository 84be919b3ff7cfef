// Hello and Status.
import { Effect } from "effect"
import type { ResponsePayloads } from "../../protocol/types"
import { JobContainment } from "../../jobs/containment"
import { JobRunner } from "../../jobs/runner"
import type { JobSlots } from "../../jobs/slots"
import { Lifecycle } from "../../lifecycle/lifecycle"
import { RepoRegistry } from "../../repos/registry"
import { Settings } from "../../settings/settings"
import { Retention } from "../../retention/service"
import { welcomeOf } from "../welcome"

export const hello = Effect.map(Settings, (s) => welcomeOf(s, process.pid))

const poolStatus = (slots: JobSlots) => ({ max: slots.permits, running: slots.permits - slots.free(), queued: slots.waiting() })

export const status = Effect.gen(function* () {
  const settings = yield* Settings
  const runner = yield* JobRunner
  const registry = yield* RepoRegistry
  const lifecycle = yield* Lifecycle
  const live = runner.liveJobs()
  const lastSweep = (yield* Retention).lastSweep()
  const payload: ResponsePayloads["SupervisorStatus"] = {
    pid: process.pid,
    uptime_ms: Date.now() - settings.startedAt,
    repos: registry.count(),
    running: live.filter((e) => e.status === "running" || e.status === "cancelling").length,
    queued: live.filter((e) => e.status === "queued").length,
    connections: yield* lifecycle.connectionCount,
    rss_bytes: process.memoryUsage.rss(),
    version: settings.version,
    pools: {
      foreground: poolStatus(runner.pools.foreground),
      background: poolStatus(runner.pools.background)
    },
    containment: (yield* JobContainment).kind,
    ...(lastSweep !== undefined ? { last_sweep: lastSweep } : {})
  }
  return payload
})
