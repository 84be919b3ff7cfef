// Automatic retry of one job (issue 12 item 8, `retry: {attempts, backoff}`). The attempts share the
// job's row, log and fiber: an attempt that failed or timed out with attempts left is recorded in
// the row's history and as a non-terminal `attempt_failed` log record, the row goes back to
// `queued` with `retry_at` for the backoff (holding no slot), and the next attempt runs. Because it
// is one fiber, the job's `done` — what dependents and concurrency queue/replace await — completes
// after the final attempt, and a cancel during the backoff interrupts the wait: no further attempt.
// The waits are the pure schedule of domain/retry-backoff.
import { Effect, Exit } from "effect"
import {
  backoffDelay,
  describeAttemptEnd,
  shouldRetry,
  statusOfAttemptEnd,
  type RetryPolicy
} from "../domain/retry-backoff"
import type { JobRetry } from "../protocol/types"
import type { EarlierAttemptRow, JobPatch } from "../store/rows"
import type { JobLog } from "./job-log"
import type { ProcessResult } from "./run-process"

export interface RetryHooks {
  /** Writes the job's row (failures are the caller's to log, never the job's). */
  readonly persist: (patch: JobPatch) => Effect.Effect<void>
  readonly log: Pick<JobLog, "status">
  /** The job waits for its next attempt: its live status is `queued` again. */
  readonly onBackoff: () => void
  /** In [0, 1): the jitter of each wait (tests pin it). */
  readonly random?: () => number
}

/** A backoff that hookd's shutdown cut short: how the last attempt ended, and what the row says about it. */
export interface WaitingRetry {
  readonly result: ProcessResult
  readonly note: string
}

export interface JobRetries {
  /** Runs `attempt` again while it fails or times out and attempts are left, waiting the backoff between. */
  readonly run: <E, R>(attempt: Effect.Effect<ProcessResult, E, R>) => Effect.Effect<ProcessResult, E, R>
  /**
   * The job's terminal row fields and record, decided by `decide` from how its fiber ended — except
   * for a job stopped while it waited for its next attempt: there is no next attempt (retry_at is
   * cleared), and one stopped by hookd's shutdown ends as its last attempt did, with a note.
   */
  readonly settle: <E extends Ending, T extends { readonly patch: JobPatch }>(ending: E, decide: (ending: E) => T) => T
}

/** What settle needs of how a job's fiber ended. */
interface Ending {
  readonly exit: Exit.Exit<unknown, unknown>
  readonly cancelledBy: string | undefined
}

const policyOf = (retry: JobRetry | undefined): RetryPolicy | undefined =>
  retry === undefined ? undefined : { attempts: retry.attempts, backoffMs: retry.backoff_ms }

/** The row fields of an attempt's end, kept in the job's history. */
const earlierAttempt = (attempt: number, result: ProcessResult, finishedAt: number): EarlierAttemptRow => ({
  attempt,
  status: statusOfAttemptEnd(result),
  exit_code: result._tag === "Exited" ? result.code : null,
  signal: result._tag === "Signaled" ? result.signal : null,
  error: result._tag === "TimedOut" ? describeAttemptEnd(result) : null,
  finished_at: finishedAt
})

/** The log record that closes a failed attempt: not terminal, so followers keep reading. */
const attemptFailedEvent = (attempt: number, of: number, result: ProcessResult, retryInMs: number) => ({
  event: "attempt_failed" as const,
  attempt,
  of,
  ...(result._tag === "Exited" ? { exit_code: result.code } : {}),
  ...(result._tag === "Signaled" ? { signal: result.signal } : {}),
  ...(result._tag === "TimedOut" ? { timed_out_after_ms: result.afterMs } : {}),
  retry_in_ms: retryInMs
})

export const makeJobRetries = (retry: JobRetry | undefined, hooks: RetryHooks): JobRetries => {
  const policy = policyOf(retry)
  const random = hooks.random ?? Math.random
  const history: EarlierAttemptRow[] = []
  let waiting: WaitingRetry | undefined

  const run = <E, R>(attempt: Effect.Effect<ProcessResult, E, R>): Effect.Effect<ProcessResult, E, R> =>
    // No `retry:` (most jobs): the one attempt, nothing around it.
    policy === undefined ? attempt : Effect.gen(function* () {
      for (let n = 1; ; n++) {
        const result = yield* attempt
        if (policy === undefined || !shouldRetry(policy, n, result)) return result
        const delay = backoffDelay(policy, n + 1, random())
        const now = Date.now()
        history.push(earlierAttempt(n, result, now))
        hooks.onBackoff()
        waiting = { result, note: `${describeAttemptEnd(result)}; attempt ${n + 1} of ${policy.attempts} never ran: hookd shut down during the backoff` }
        // The row describes the coming attempt; what the process did is in the history. Row first,
        // then the record (row writes wait for the end of the event loop's turn: RepoStore.updateJob),
        // so whoever sees attempt_failed finds the row waiting for the next attempt.
        yield* Effect.uninterruptible(Effect.zipRight(hooks.persist({
          status: "queued",
          attempt: n + 1,
          retry_at: now + delay,
          attempts: [...history],
          exit_code: null,
          signal: null,
          error: null,
          pid: null,
          pgid: null,
          proc_start: null,
          started_at: null
        }), Effect.sync(() => void hooks.log.status(attemptFailedEvent(n, policy.attempts, result, delay)))))
        yield* Effect.sleep(delay)
        // Cleared after the write (no interruption point between): a cancel now finds no retry_at left.
        yield* hooks.persist({ retry_at: null })
        waiting = undefined
      }
    })

  const settle = <E extends Ending, T extends { readonly patch: JobPatch }>(ending: E, decide: (ending: E) => T): T => {
    if (waiting === undefined) return decide(ending)
    const byShutdown = ending.cancelledBy === "shutdown"
    // As the job's fiber would have ended had it not been retried: `{_tag: "Process", result}` (invocation.ts).
    const decided = decide(byShutdown ? { ...ending, exit: Exit.succeed({ _tag: "Process", result: waiting.result }) } : ending)
    return { ...decided, patch: { ...decided.patch, retry_at: null, ...(byShutdown ? { error: waiting.note } : {}) } }
  }

  return { run, settle }
}
