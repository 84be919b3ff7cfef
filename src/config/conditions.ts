// `skip` and `only` (SPEC §8). A skip is due when ANY of its conditions is met; an `only` skips
// the job unless ALL of its conditions are met. Evaluation stops at the first decisive condition,
// so a `{run: …}` after it never starts. The result is the skip reason, or undefined to run.
import { Effect } from "effect"
import { isTruthyEnv } from "../domain/env-switch"
import type { GitFacts } from "./git-facts"
import type { ConditionItemValue, ConditionValue } from "./schema"

export interface ConditionContext {
  readonly env: Readonly<Record<string, string>>
  readonly git: GitFacts
  /** Exit code of `sh -c command` in the worktree (undefined: could not run or timed out). */
  readonly runExitCode: (command: string) => Effect.Effect<number | undefined>
}

export { isTruthyEnv }

/**
 * Matches a branch name against a glob: `*` is any run of characters except `/`, `**` any run
 * including `/`, `?` one character except `/`; everything else is literal, and the whole name
 * must match (`release/*` matches `release/1.2` but not `release/1.2/hotfix`).
 */
export const refGlobMatches = (glob: string, ref: string): boolean => {
  let pattern = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === "*" && glob[i + 1] === "*") {
      pattern += ".*"
      i++
    } else if (c === "*") pattern += "[^/]*"
    else if (c === "?") pattern += "[^/]"
    else pattern += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
  }
  return new RegExp(`^${pattern}$`, "s").test(ref)
}

interface ItemOutcome {
  readonly met: boolean
  /** Words for the reason when the item is met ("env CI") and when it is not ("env CI not set"). */
  readonly whenMet: string
  readonly whenNotMet: string
}

const evaluateItem = (item: ConditionItemValue, ctx: ConditionContext): Effect.Effect<ItemOutcome> => {
  if (item === "merge") {
    return Effect.map(ctx.git.mergeInProgress, (met) => ({ met, whenMet: "merge in progress", whenNotMet: "no merge in progress" }))
  }
  if (item === "rebase") {
    return Effect.map(ctx.git.rebaseInProgress, (met) => ({ met, whenMet: "rebase in progress", whenNotMet: "no rebase in progress" }))
  }
  if (item.env !== undefined) {
    const name = item.env
    return Effect.succeed({ met: isTruthyEnv(ctx.env, name), whenMet: `env ${name}`, whenNotMet: `env ${name} not set` })
  }
  if (item.ref !== undefined) {
    const glob = item.ref
    return Effect.map(ctx.git.branch, (branch) => ({
      met: branch !== undefined && refGlobMatches(glob, branch),
      whenMet: `ref ${glob} matched`,
      whenNotMet: `ref ${glob} not matched`
    }))
  }
  const command = item.run ?? ""
  return Effect.map(ctx.runExitCode(command), (code) => ({
    met: code === 0,
    whenMet: `run \`${command}\` exited 0`,
    whenNotMet: `run \`${command}\` ${code === undefined ? "could not run" : `exited ${code}`}`
  }))
}

/** A bare `true`/`false`/env name behaves as a one-item list. */
const asItems = (condition: ConditionValue): ReadonlyArray<ConditionItemValue | boolean> =>
  typeof condition === "boolean" ? [condition] : typeof condition === "string" ? [{ env: condition }] : condition

const evaluate = (item: ConditionItemValue | boolean, ctx: ConditionContext): Effect.Effect<ItemOutcome> =>
  typeof item === "boolean"
    ? Effect.succeed({ met: item, whenMet: "true", whenNotMet: "false" })
    : evaluateItem(item, ctx)

/** The reason to skip when any condition of `skip` is met, e.g. `skip: env SKIP_LINT`. */
export const skipReason = (condition: ConditionValue, ctx: ConditionContext, prefix = ""): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    for (const item of asItems(condition)) {
      const outcome = yield* evaluate(item, ctx)
      if (outcome.met) return `${prefix}skip: ${outcome.whenMet}`
    }
    return undefined
  })

/** The reason to skip when some condition of `only` is not met, e.g. `only: ref release/* not matched`. */
export const onlyReason = (condition: ConditionValue, ctx: ConditionContext, prefix = ""): Effect.Effect<string | undefined> =>
  Effect.gen(function* () {
    for (const item of asItems(condition)) {
      const outcome = yield* evaluate(item, ctx)
      if (!outcome.met) return `${prefix}only: ${outcome.whenNotMet}`
    }
    return undefined
  })
