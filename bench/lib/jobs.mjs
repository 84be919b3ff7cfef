// Running jobs through a bench supervisor and knowing when they are all done, without polling:
// background jobs (the pool HOOKD_MAX_PARALLEL bounds) plus one waited sentinel job that `needs`
// them all, sent with wait:true — the StreamEnd arrives when the last of them has ended.
import { FramedClient, nextTimed, payloadOf, requestOnce } from "./framed-client.mjs"
import { job, runJobs } from "./requests.mjs"

const SENTINEL = "zz-all-done"

/**
 * Sends `jobs` (background) in one RunJobs and waits until every one of them is terminal. Returns
 * { ms: RunAccepted → StreamEnd, invocationId }. Bounded by `timeoutMs` per answer.
 */
export const runToEnd = async (socket, repo, jobs, { timeoutMs = 120_000 } = {}) => {
  const sentinel = job(SENTINEL, "true", { background: false, needs: jobs.map((j) => j.name) })
  const c = await FramedClient.connect(socket)
  try {
    c.send("RunJobs", runJobs(repo, [...jobs, sentinel], { wait: true }))
    const first = await nextTimed(c, timeoutMs)
    const invocationId = payloadOf(first.frame, "RunAccepted").invocation_id
    for (;;) {
      const { frame, receivedAt } = await nextTimed(c, timeoutMs)
      if (frame.kind === "StreamFrame") continue
      const end = payloadOf(frame, "StreamEnd")
      if (end.outcome !== "completed") throw new Error(`RunJobs ended ${JSON.stringify(end)}`)
      return { ms: receivedAt - first.receivedAt, invocationId }
    }
  } finally {
    c.close()
  }
}

/** How many jobs of the invocation ended `completed` (the sentinel included). */
export const completedJobs = async (socket, repo, invocationId) => {
  const answer = await requestOnce(
    socket,
    "ListJobs",
    { repo_root: repo, invocation_prefix: invocationId, status: ["completed"], limit: 1 },
    "Jobs"
  )
  return answer.total
}

/** One job of the invocation as GetJob answers it (log path, log_bytes, status …). */
export const getJob = async (socket, repo, invocationId, name) =>
  (await requestOnce(socket, "GetJob", { job: { repo_root: repo, invocation_prefix: invocationId, name } }, "Job")).job
