// Issue 14 item 5: live readers must not make the supervisor's memory unbounded. A job writes 200 MB
// (200,000 lines of 1,000 bytes; 50 MB unless HOOKD_FAULTS=full) in a fresh supervisor with no reader
// (twice: the first run lets V8 size its heap, the second is the baseline) and then with readers: a
// stalled TailLogs follower (never reads until the job has ended), a slow one (about 20 MB/s, slower
// than the job), a fast foreground RunJobs{wait:true} — each alone, within the 32 MiB of the
// baseline — and all of them with a follower that leaves mid-run without reading (48 MiB). Every
// reader that stays gets every line, in seq order, with no gap and no duplicate; the bound is on the
// supervisor's peak RSS (VmRSS of the real process). Before flow control four readers grew it by
// ~930 MiB, after it (a 1 MiB live window per reader) by 8–56 MiB; now a reader holds none of the
// job's output (it reads the log file; the job's writes only wake it) and its path allocates little:
// one reader adds some 1–26 MiB, the rest being V8's heap sizing, not anything a reader holds.
import { readFileSync } from "node:fs"
import { afterEach, describe, expect, it } from "vitest"
import type { LogRecord, ResponseEnvelope } from "../../src/protocol/types"
import { isTerminalStatus } from "../../src/protocol/types"
import { join } from "node:path"
import { makeGitRepo } from "../support/git"
import { makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"
import { awaitStarted, getJob, job, payloadOf, runJobs } from "../e2e/helpers"

let sandbox: Sandbox
let hookd: RunningSupervisor
let repo: string

/** Each scenario in a supervisor of its own, so that none starts where another left its memory. */
const inFreshSupervisor = async (scenario: () => Promise<void>): Promise<void> => {
  sandbox = makeSandbox()
  try {
    hookd = await startSupervisor(sandbox)
    try {
      repo = makeGitRepo(join(sandbox.dir, "repo"))
      await scenario()
    } finally {
      await hookd.stopCleanly()
    }
  } finally {
    sandbox.cleanup()
  }
}

// The 200 MB with HOOKD_FAULTS=full (the fault suite's long rounds); 50 MB in the ordinary run.
const LINES = process.env.HOOKD_FAULTS === "full" ? 200_000 : 50_000
const LINE = "y".repeat(999)
// Fast output, in lines: `yes` of one 999-byte line, LINES of them.
const CHATTY = `L=$(head -c 999 /dev/zero | tr '\\0' y); yes "$L" | head -n ${LINES}`
const MiB = 1024 * 1024
/** One reader of any kind: the bound. */
const MAX_GROWTH = 32 * MiB
/** Four at once. */
const MAX_GROWTH_ALL = 48 * MiB

const rssBytes = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

/** Samples the supervisor's RSS until stopped; returns the peak. A measurement, not a synchronisation. */
const sampleRss = (pid: number) => {
  let peak = rssBytes(pid)
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 25)
  samplers.add(timer)
  return {
    stop: () => {
      clearInterval(timer)
      samplers.delete(timer)
      return Math.max(peak, rssBytes(pid))
    }
  }
}
// A failed test must not leave a sampler reading the status of a supervisor that has been stopped.
const samplers = new Set<NodeJS.Timeout>()
afterEach(() => {
  for (const timer of samplers) clearInterval(timer)
  samplers.clear()
})

/** Waits for the job's row to be terminal without attaching a log reader (that is what is measured). */
const rowEnded = async (invocationId: string, name: string): Promise<void> => {
  for (;;) {
    const row = await getJob(sandbox.socket, repo, invocationId, name)
    if (isTerminalStatus(row.status)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Checks records as they arrive (they are not kept): seqs 0, 1, 2… and every line intact. */
class RecordCheck {
  expectedSeq = 0
  stdout = 0
  last: LogRecord | undefined
  add(answer: ResponseEnvelope): void {
    const record = payloadOf(answer, "StreamFrame").record
    if (record.seq !== this.expectedSeq) throw new Error(`expected seq ${this.expectedSeq}, got ${record.seq}`)
    this.expectedSeq++
    if (record.kind === "stdout") {
      // A record carries a batch of lines (log format 2).
      for (const line of record.data.split("\n")) {
        if (line !== LINE) throw new Error(`seq ${record.seq}: unexpected line ${JSON.stringify(line).slice(0, 80)}`)
        this.stdout++
      }
    }
    this.last = record
  }
  expectComplete(): void {
    expect(this.stdout).toBe(LINES)
    expect(this.last).toMatchObject({ kind: "status", data: { event: "finished", exit_code: 0 } })
  }
}

/** Reads a stream to its end, pausing `pauseMs` after every `every` answers (0: never). */
const drain = async (client: TestClient, check: RecordCheck, every = 0, pauseMs = 0): Promise<ResponseEnvelope> => {
  for (let n = 1; ; n++) {
    const answer = await client.next()
    if (answer.kind !== "StreamFrame") return answer
    check.add(answer)
    if (every > 0 && n % every === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
}

const chatty = (name: string, background: boolean) => runJobs(repo, [job(name, CHATTY, { background })])

/**
 * Peak RSS of the chatty job run as a background job with no reader at all — the second such run:
 * the first one (not measured) lets V8 size its heap for this work (its young generation grows from
 * 16 to 32 MiB once, at some point of the first big job, reader or not).
 */
const peakWithoutReaders = async (): Promise<number> => {
  await runAlone("warm-up")
  return runAlone("alone")
}

const runAlone = async (name: string): Promise<number> => {
  const sampler = sampleRss(hookd.pid)
  const alone = await TestClient.connect(sandbox.socket)
  const aloneId = payloadOf(await alone.request("RunJobs", chatty(name, true)), "RunAccepted").invocation_id
  alone.close()
  await rowEnded(aloneId, name)
  return sampler.stop()
}

type ReaderKind = "stalled" | "slow" | "fast" | "vanishing"

/** Runs the chatty job with the given readers (the fast one is the foreground hook that starts it); peak RSS meanwhile. */
const peakWithReaders = async (kinds: ReadonlyArray<ReaderKind>): Promise<number> => {
  const sampler = sampleRss(hookd.pid)
  const hook = await TestClient.connect(sandbox.socket)
  let invocationId: string
  let fast: Promise<void> | undefined
  if (kinds.includes("fast")) {
    const hookId = hook.send("RunJobs", { ...chatty("chatty", false), wait: true })
    invocationId = payloadOf(await hook.next({ id: hookId }), "RunAccepted").invocation_id
    const fastCheck = new RecordCheck()
    fast = drain(hook, fastCheck).then((end) => {
      expect(payloadOf(end, "StreamEnd").outcome).toBe("completed")
      fastCheck.expectComplete()
    })
  } else {
    invocationId = payloadOf(await hook.request("RunJobs", chatty("chatty", true)), "RunAccepted").invocation_id
  }
  await awaitStarted(sandbox.socket, repo, invocationId, "chatty")
  const tail = { job: { repo_root: repo, invocation_prefix: invocationId, name: "chatty" }, follow: true } as const
  const follower = async () => {
    const c = await TestClient.connect(sandbox.socket)
    c.send("TailLogs", tail)
    return c
  }
  const stalled = kinds.includes("stalled") ? await follower() : undefined
  const vanishing = kinds.includes("vanishing") ? await follower() : undefined
  let slow: Promise<void> | undefined
  if (kinds.includes("slow")) {
    const c = await follower()
    const slowCheck = new RecordCheck()
    // About 1 MB (16 records of 64 KiB) then 50 ms: some 20 MB/s, slower than the job writes.
    slow = drain(c, slowCheck, 16, 50).then((end) => {
      expect(payloadOf(end, "StreamEnd").reason).toBe("terminal")
      slowCheck.expectComplete()
      c.close()
    })
  }
  if (vanishing !== undefined) {
    // Reads one answer and leaves without reading the rest.
    payloadOf(await vanishing.next(), "StreamFrame")
    vanishing.close()
  }
  await fast
  await rowEnded(invocationId, "chatty")
  await slow
  hook.close()
  if (stalled !== undefined) {
    // The stalled reader finally reads: everything, from the log file at its own pace.
    const stalledCheck = new RecordCheck()
    expect(payloadOf(await drain(stalled, stalledCheck), "StreamEnd").reason).toBe("terminal")
    stalledCheck.expectComplete()
    stalled.close()
  }
  return sampler.stop()
}

const report = (what: string, without: number, withReaders: number) =>
  console.log(`supervisor peak RSS: ${(without / MiB).toFixed(1)} MiB without readers, ${(withReaders / MiB).toFixed(1)} MiB with ${what} (+${((withReaders - without) / MiB).toFixed(1)} MiB)`)

describe("live readers and the supervisor's memory (issue 14 item 5)", () => {
  it.each<ReaderKind>(["stalled", "slow", "fast"])(
    "a %s reader of a chatty job gets every record and keeps the supervisor's peak RSS within 32 MiB of none",
    (kind) =>
      inFreshSupervisor(async () => {
        const without = await peakWithoutReaders()
        const withReader = await peakWithReaders([kind])
        report(`a ${kind} reader`, without, withReader)
        expect(withReader - without).toBeLessThan(MAX_GROWTH)
      }),
    240_000
  )

  it("a stalled, a slow, a fast and a vanishing reader at once: each gets every record, RSS stays bounded", () =>
    inFreshSupervisor(async () => {
      const without = await peakWithoutReaders()
      const withReaders = await peakWithReaders(["stalled", "slow", "fast", "vanishing"])
      report("four readers", without, withReaders)
      expect(withReaders - without).toBeLessThan(MAX_GROWTH_ALL)
    }), 240_000)
})
