// Follow latency: how long a record takes from JobLog.append to a tailJobLog follower, and how fast
// a replay runs. Not run in tests. Usage: node bench/follow-latency.mjs
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { importBundled } from "./lib/bundle.mjs"

const { JobLog, tailJobLog, Effect, Stream, Chunk } = await importBundled("follow-latency", {
  stdin: {
    contents: `export { JobLog } from "./src/jobs/job-log"
      export { tailJobLog } from "./src/jobs/tail"
      export * as Effect from "effect/Effect"
      export * as Stream from "effect/Stream"
      export * as Chunk from "effect/Chunk"`,
    resolveDir: ".",
    loader: "ts"
  }
})

const REPLAYED = 20_000
const LIVE = 20_000
const BATCH = 50 // records appended per event-loop turn, like a chatty job
const dir = mkdtempSync(join(tmpdir(), "hookd-bench-follow-"))
const path = join(dir, "job", "output.jsonl")
try {
  const log = JobLog.open(path, {})
  log.status({ event: "started", pid: 1 })
  for (let i = 1; i < REPLAYED; i++) log.append("stdout", `replayed line ${i} ${"x".repeat(60)}`)

  const appendedAt = new Map()
  const latencies = []
  let replayDoneAt = 0
  const t0 = performance.now()
  const follower = Effect.runPromise(
    Stream.runForEach(
      tailJobLog({ path, live: log, follow: true }).pipe(
        Stream.mapChunks((chunk) => {
          const now = performance.now()
          for (const r of chunk) {
            const at = appendedAt.get(r.seq)
            if (at !== undefined) latencies.push(now - at)
            else if (r.seq === REPLAYED - 1) replayDoneAt = now
          }
          return Chunk.of(Chunk.size(chunk))
        })
      ),
      () => Effect.void
    )
  )
  let written = 0
  await new Promise((resolve) => {
    const tick = () => {
      for (let i = 0; i < BATCH && written < LIVE; i++, written++) {
        appendedAt.set(REPLAYED + written, performance.now())
        log.append("stdout", `live line ${written} ${"y".repeat(60)}`)
      }
      if (written < LIVE) setImmediate(tick)
      else resolve()
    }
    setImmediate(tick)
  })
  log.status({ event: "finished", exit_code: 0 })
  await follower
  const total = performance.now() - t0
  latencies.sort((a, b) => a - b)
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2)
  console.log(`replay of ${REPLAYED} records: ${replayDoneAt ? (replayDoneAt - t0).toFixed(0) : "?"} ms`)
  console.log(`live records seen: ${latencies.length}/${LIVE}; latency p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`)
  console.log(`total ${total.toFixed(0)} ms, log ${(log.bytes / 1e6).toFixed(1)} MB`)
  log.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
