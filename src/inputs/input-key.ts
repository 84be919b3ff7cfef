// A job's input key (SPEC §8 `inputs:`): its resolved command, cwd, listed env values, and the
// content identity of every file its patterns match — git's index id for tracked files git vouches
// for, a hash of the bytes only for modified or untracked ones.
import { Effect } from "effect"
import type { ProcessEnv } from "../config/processes"
import { composeInputKey } from "../domain/input-cache"
import type { JobSpec } from "../protocol/types"
import { contentId, type ObjectHash } from "./content-id"
import { listInputFiles, type InputListing } from "./listing"

/** How many dirty files are hashed at once. */
const HASH_CONCURRENCY = 8

export interface InputKeyContext {
  readonly worktree: string
  /** The environment git runs with: the hook's (GIT_DIR, GIT_INDEX_FILE…) over the supervisor's. */
  readonly gitEnv: ProcessEnv
  /** The job's environment as it would run: the job's env over the hook's over the supervisor's. */
  readonly jobEnv: (spec: JobSpec, name: string) => string | undefined
  /**
   * Identities already hashed in this invocation (path → id), shared by its jobs so a file two jobs
   * list is read once.
   */
  readonly hashed: Map<string, string>
  /** Listings already made in this invocation, by pattern list: jobs with the same inputs share one git run. */
  readonly listed: Map<string, InputListing | { readonly failure: string }>
}

export type InputKeyResult = { readonly key: string } | { readonly failure: string }

export const computeInputKey = (ctx: InputKeyContext, spec: JobSpec): Effect.Effect<InputKeyResult> =>
  Effect.gen(function* () {
    const inputs = spec.inputs ?? { files: [], env: [] }
    const listKey = JSON.stringify(inputs.files)
    const listing = ctx.listed.get(listKey) ?? (yield* listInputFiles(ctx.worktree, inputs.files, ctx.gitEnv))
    ctx.listed.set(listKey, listing)
    if ("failure" in listing) return { failure: listing.failure }
    const hash: ObjectHash = listing.oidHexLength === 64 ? "sha256" : "sha1"
    const dirty = yield* Effect.forEach(
      listing.dirty,
      (path) =>
        Effect.gen(function* () {
          const memoKey = `${hash}:${path}`
          const known = ctx.hashed.get(memoKey)
          if (known !== undefined) return [path, known] as const
          const id = yield* contentId(ctx.worktree, path, hash)
          ctx.hashed.set(memoKey, id)
          return [path, id] as const
        }),
      { concurrency: HASH_CONCURRENCY }
    )
    const key = composeInputKey({
      command: spec.run,
      cwd: spec.cwd ?? ".",
      env: inputs.env.map((name) => [name, ctx.jobEnv(spec, name) ?? null] as const),
      files: [...listing.clean, ...dirty]
    })
    return { key }
  })
