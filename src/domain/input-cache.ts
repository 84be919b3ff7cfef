// The input cache (hookd.yml `inputs:`): what a job's input key is made of, and whether a run may be
// skipped because the last completed run of the same job in the same worktree did the same work.
// Pure: the git listing and file hashing that feed it live in src/inputs/.
import { createHash } from "node:crypto"
import type { JobSpec } from "../protocol/types"
import { isTruthyEnv } from "./env-switch"

/** Everything the key covers. `files` holds each matching path's content identity (a git object id). */
export interface InputKeyParts {
  /** The resolved command (templates expanded). */
  readonly command: string
  /** The job's cwd relative to the worktree ("." when none). */
  readonly cwd: string
  /** Each listed variable with its value in the job's environment, null when unset. */
  readonly env: ReadonlyArray<readonly [name: string, value: string | null]>
  readonly files: ReadonlyArray<readonly [path: string, identity: string]>
}

const byFirst = (a: readonly [string, unknown], b: readonly [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

/**
 * sha256 over a canonical JSON of the parts (env by name, files by path; the order they were listed
 * or found in does not matter). The version tag lets a future build change the recipe without ever
 * matching a key made by this one.
 */
export const composeInputKey = (parts: InputKeyParts): string =>
  createHash("sha256")
    .update(
      JSON.stringify({
        v: 1,
        command: parts.command,
        cwd: parts.cwd,
        env: [...parts.env].sort(byFirst),
        files: [...parts.files].sort(byFirst)
      })
    )
    .digest("hex")

/**
 * Statuses of a row that ran or is running: the candidates for "the last run" of a job. Skipped rows
 * (by a condition, or as unchanged) did no work and never count; a run still in flight does, so a
 * quick second checkout never skips on the strength of an older run while another one is changing
 * the outputs.
 */
export const LAST_RUN_STATUSES: ReadonlyArray<string> = [
  "completed", "failed", "timed_out", "cancelled", "crashed", "queued", "running", "cancelling"
]

const IN_FLIGHT: ReadonlyArray<string> = ["queued", "running", "cancelling"]

/** The last run of the same job in the same worktree (the newest row with one of LAST_RUN_STATUSES). */
export interface PreviousRun {
  readonly invocation_id: string
  readonly name: string
  readonly status: string
  readonly input_key: string | null
  readonly finished_at: number | null
}

export interface CacheQuestion {
  readonly key: string
  /** HOOKD_FORCE=1 in the hook's environment (or `hookctl run-hook --force`). */
  readonly forced: boolean
  /** Listed outputs that do not exist in the worktree. */
  readonly missingOutputs: ReadonlyArray<string>
  readonly previous: PreviousRun | undefined
  readonly now: number
}

export type CacheDecision =
  | { readonly run: true; readonly why: string }
  | { readonly run: false; readonly reason: string; readonly matched: string }

/**
 * Skip only when the last run completed with the same key and every output is there; a failed,
 * timed out, cancelled or crashed last run is never a hit, and HOOKD_FORCE always runs.
 */
export const decideInputCache = (q: CacheQuestion): CacheDecision => {
  if (q.forced) return { run: true, why: "forced (HOOKD_FORCE)" }
  const previous = q.previous
  if (previous === undefined) return { run: true, why: "no earlier run in this worktree" }
  if (IN_FLIGHT.includes(previous.status)) return { run: true, why: `the last run is still ${previous.status}` }
  if (previous.status !== "completed") return { run: true, why: `the last run ${previous.status}` }
  if (previous.input_key !== q.key) return { run: true, why: "inputs changed" }
  if (q.missingOutputs.length > 0) return { run: true, why: `output ${q.missingOutputs[0]} is missing` }
  const age = previous.finished_at === null ? "" : ` (${formatAge(q.now - previous.finished_at)} ago)`
  return {
    run: false,
    reason: `inputs unchanged since ${previous.invocation_id.slice(0, 8)}:${previous.name}${age}`,
    matched: previous.invocation_id
  }
}

/** 42s, 3m, 5h, 2d: whole units, rounded down, never negative. */
export const formatAge = (ms: number): string => {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

/** HOOKD_FORCE=1 in the hook's environment: run every job whatever its inputs. */
export const isForced = (env: Readonly<Record<string, string>>): boolean => isTruthyEnv(env, "HOOKD_FORCE")

/** What the input cache adds to a JobSpec before the runner sees it; never sent on the wire. */
export interface InputCacheFacts {
  /** Recorded on the job's row. */
  readonly input_key?: string
  /** Set (with skip_reason) when the job is skipped as unchanged: the matched run's invocation id. */
  readonly input_match?: string
}

export type CachedJobSpec = JobSpec & InputCacheFacts

/**
 * A job skipped because an earlier completed run already did its work: unlike a skip by condition,
 * its dependents proceed as after a completion.
 */
export const isSatisfiedSkip = (spec: CachedJobSpec): boolean =>
  spec.skip_reason !== undefined && spec.input_match !== undefined
