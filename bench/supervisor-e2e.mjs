// Follow latency end to end (issue 13's regression row), through the real `node dist/hookd.mjs`
// on a Unix socket: a job prints → a TailLogs follower receives. Used by bench/run.mjs; every wait
// is bounded.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { toEpochMs } from "./lib/clock.mjs"
import { FramedClient, nextTimed, payloadOf, requestOnce } from "./lib/framed-client.mjs"
import { job, runJobs } from "./lib/requests.mjs"
import { percentile } from "./lib/timing.mjs"

/**
 * A job prints `date +%s%N` `lines` times; a TailLogs follower compares each embedded timestamp
 * with the moment the frame arrived. The job first waits for a gate file, created when the
 * follower has seen the `started` record: every line is then live, none replayed.
 */
export const measureFollowLatency = async (sandbox, repo, lines) => {
  const gate = join(sandbox.dir, "follow-gate")
  const script =
    `i=0; while [ ! -f '${gate}' ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; ` +
    `for i in $(seq 1 ${lines}); do date +%s%N; sleep 0.005; done`
  const accepted = await requestOnce(
    sandbox.socket,
    "RunJobs",
    runJobs(repo, [job("follow", script, { timeout_ms: 60_000 })]),
    "RunAccepted"
  )
  const c = await FramedClient.connect(sandbox.socket)
  const latencies = []
  try {
    c.send("TailLogs", {
      job: { repo_root: repo, invocation_prefix: accepted.invocation_id, name: "follow" },
      follow: true
    })
    for (;;) {
      const { frame, receivedAt } = await nextTimed(c, 30_000)
      if (frame.kind === "StreamEnd") break
      const record = payloadOf(frame, "StreamFrame").record
      if (record.kind === "status" && record.data.event === "started") writeFileSync(gate, "")
      else if (record.kind === "stdout") {
        // A record carries one line, or (per-chunk records) several.
        for (const line of String(record.data).split("\n").filter(Boolean)) {
          if (!/^\d{19}$/.test(line)) throw new Error(`date +%s%N printed ${JSON.stringify(line)}`)
          latencies.push(toEpochMs(receivedAt) - Number(BigInt(line) / 1000n) / 1000)
        }
      } else if (record.kind === "status" && record.data.event !== "finished") {
        throw new Error(`the follow job ended ${JSON.stringify(record.data)}`)
      }
    }
  } finally {
    c.close()
  }
  if (latencies.length !== lines) throw new Error(`follower saw ${latencies.length} of ${lines} lines`)
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100) }
}
