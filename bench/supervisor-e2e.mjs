// End-to-end supervisor benchmarks (issue 3), through the real `node dist/hookd.mjs` on a Unix
// socket: start-up, idle memory, follow latency (job prints → TailLogs follower receives) and
// job throughput. Used by bench/run.mjs; every wait is bounded.
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { toEpochMs } from "./lib/clock.mjs"
import { FramedClient, nextTimed, payloadOf, requestOnce } from "./lib/framed-client.mjs"
import { startSupervisor } from "./lib/sandbox.mjs"
import { BARE_NODE, median, percentile, timeOnce } from "./lib/timing.mjs"

const hello = { client: "bench", client_version: "0" }

/**
 * Starts and stops the supervisor `runs` times: spawn → "started" logged, spawn → first Welcome,
 * each start preceded by one `node -e 0` for the ratio. Leaves the last one running and returns
 * it with the medians.
 */
export const measureStartup = async (sandbox, runs) => {
  const logged = []
  const answered = []
  const bare = []
  let hookd
  for (let i = 0; i < runs; i++) {
    bare.push(timeOnce(BARE_NODE.command, BARE_NODE.args, { env: sandbox.env }))
    if (hookd) {
      const code = await hookd.stop()
      if (code !== 0) throw new Error(`hookd exited ${code} on SIGTERM`)
    }
    hookd = await startSupervisor(sandbox)
    await requestOnce(sandbox.socket, "Hello", hello, "Welcome")
    answered.push(performance.now() - hookd.spawnedAt)
    logged.push(hookd.startedAt - hookd.spawnedAt)
  }
  return { hookd, loggedMs: median(logged), answeredMs: median(answered), nodeMs: median(bare) }
}

/** Status.rss_bytes and `ps -o rss` (KiB) of the supervisor, in bytes. */
export const measureRss = async (sandbox, pid) => {
  const status = await requestOnce(sandbox.socket, "Status", {}, "SupervisorStatus")
  let psBytes
  try {
    psBytes = Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) * 1024
  } catch {
    psBytes = undefined // no ps (minimal container): the Status figure stands alone
  }
  return { statusBytes: status.rss_bytes, psBytes }
}

const runJobsPayload = (repo, jobs, extra = {}) => ({
  repo_root: repo,
  worktree: repo,
  hook: "post-checkout",
  args: [],
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  mode: "auto",
  wait: false,
  jobs,
  ...extra
})

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
    runJobsPayload(repo, [{ name: "follow", run: script, background: true, timeout_ms: 60_000 }]),
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
        if (!/^\d{19}$/.test(record.data)) throw new Error(`date +%s%N printed ${JSON.stringify(record.data)}`)
        latencies.push(toEpochMs(receivedAt) - Number(BigInt(record.data) / 1000n) / 1000)
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

/**
 * One RunJobs of `count` `true` jobs, waited (wait:true, foreground jobs): jobs/s from the
 * RunAccepted frame to StreamEnd, i.e. to the last job's terminal record. The rows are then
 * checked with ListJobs, and the supervisor's own view (first queued_at → last finished_at) is
 * given beside it.
 */
export const measureThroughput = async (sandbox, repo, count) => {
  const jobs = Array.from({ length: count }, (_, i) => ({
    name: `t${String(i).padStart(4, "0")}`,
    run: "true",
    background: false
  }))
  const c = await FramedClient.connect(sandbox.socket)
  let acceptedAt, endedAt, invocationId
  try {
    c.send("RunJobs", runJobsPayload(repo, jobs, { wait: true }))
    const first = await nextTimed(c, 30_000)
    acceptedAt = first.receivedAt
    invocationId = payloadOf(first.frame, "RunAccepted").invocation_id
    // Bounded: `count` jobs × (started + finished) frames, then StreamEnd.
    for (let frames = 0; frames <= 4 * count + 10; frames++) {
      const { frame, receivedAt } = await nextTimed(c, 60_000)
      if (frame.kind === "StreamFrame") continue
      const end = payloadOf(frame, "StreamEnd")
      if (end.outcome !== "completed") throw new Error(`RunJobs ended ${JSON.stringify(end)}`)
      endedAt = receivedAt
      break
    }
  } finally {
    c.close()
  }
  if (endedAt === undefined) throw new Error("no StreamEnd after every job's frames")
  const listed = await requestOnce(
    sandbox.socket,
    "ListJobs",
    { repo_root: repo, invocation_prefix: invocationId },
    "Jobs",
    30_000
  )
  const completed = listed.jobs.filter((j) => j.status === "completed")
  if (completed.length !== count) throw new Error(`ListJobs shows ${completed.length}/${count} completed`)
  const supervisorMs =
    Math.max(...completed.map((j) => j.finished_at)) - Math.min(...completed.map((j) => j.queued_at))
  const clientMs = endedAt - acceptedAt
  return { clientMs, jobsPerSec: (count * 1000) / clientMs, supervisorJobsPerSec: (count * 1000) / supervisorMs }
}
