// git's hook names (githooks(5)) and what hookd does when it fails inside each of them.
// Effect-free: hookctl imports it (hooks install, run-hook).

/**
 * What `hookctl run-hook <hook>` accepts as a hook's name before asking the supervisor (which
 * answers an unknown one with a did-you-mean): the shape of git's names, not the list.
 */
export const HOOK_WORD_PATTERN = /^[a-z][a-z0-9-]*$/

/**
 * The hooks git documents (githooks(5)). "p4-*" is the four git-p4 hooks, listed by name so
 * the generated JSON Schema can say `additionalProperties: false` exactly.
 */
export const GIT_HOOK_NAMES = [
  "applypatch-msg",
  "pre-applypatch",
  "post-applypatch",
  "pre-commit",
  "pre-merge-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "pre-rebase",
  "post-checkout",
  "post-merge",
  "pre-push",
  "pre-receive",
  "update",
  "proc-receive",
  "post-receive",
  "post-update",
  "reference-transaction",
  "push-to-checkout",
  "pre-auto-gc",
  "post-rewrite",
  "sendemail-validate",
  "fsmonitor-watchman",
  "p4-changelist",
  "p4-prepare-changelist",
  "p4-post-changelist",
  "p4-pre-submit",
  "post-index-change"
] as const
export type GitHookName = (typeof GIT_HOOK_NAMES)[number]

const KNOWN: ReadonlySet<string> = new Set(GIT_HOOK_NAMES)
export const isGitHookName = (name: string): name is GitHookName => KNOWN.has(name)

/**
 * Hooks whose exit status never should stop the user's git command (SPEC §8): a failure of hookd
 * itself in one of them warns and exits 0. (post-checkout's and post-merge's status becomes the
 * git command's, which is why this matters.)
 */
export const NON_BLOCKING_HOOKS: ReadonlySet<string> = new Set([
  "post-checkout",
  "post-merge",
  "post-commit",
  "post-rewrite",
  "post-applypatch",
  "post-index-change",
  "reference-transaction"
])

export const editDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}

/** The candidate nearest to `name` within two edits, if any (for "did you mean"). */
export const closestName = (name: string, candidates: ReadonlyArray<string>): string | undefined =>
  candidates
    .filter((c) => editDistance(c, name) <= 2)
    .sort((a, b) => editDistance(a, name) - editDistance(b, name))[0]

/** `"precommit" is not a git hook (did you mean "pre-commit"?)` */
export const unknownHookMessage = (name: string): string => {
  const near = closestName(name, GIT_HOOK_NAMES) ?? closestName(name.replace(/_/g, "-").toLowerCase(), GIT_HOOK_NAMES)
  return `${JSON.stringify(name)} is not a git hook${near === undefined ? "" : ` (did you mean "${near}"?)`}; see githooks(5)`
}

/**
 * The git command-line flag that skips a hook, for the hooks git lets you skip. `git commit
 * --no-verify` skips pre-commit and commit-msg but NOT prepare-commit-msg, which git always runs.
 */
const SKIP_FLAG: Readonly<Record<string, string>> = {
  "pre-commit": "git commit --no-verify",
  "commit-msg": "git commit --no-verify",
  "pre-merge-commit": "git merge --no-verify",
  "pre-push": "git push --no-verify",
  "pre-rebase": "git rebase --no-verify",
  "applypatch-msg": "git am --no-verify",
  "pre-applypatch": "git am --no-verify",
  "sendemail-validate": "git send-email --no-validate"
}

/** The git command that runs a hook git offers no flag to skip, where there is one such command. */
const RUN_BY: Readonly<Record<string, string>> = {
  "prepare-commit-msg": "git commit"
}

/**
 * How to get past a blocking hook once, for the message of a hookd failure inside it. `jobs`: the
 * jobs that failed, when known — for a hook git cannot skip, `HOOKD_SKIP` skips just those, and
 * `HOOKD=0` (every shim exits 0 before node starts) always works.
 */
export const bypassHint = (hook: string, jobs: ReadonlyArray<string> = []): string => {
  const flag = SKIP_FLAG[hook]
  if (flag !== undefined) return `${flag} (or HOOKD=0 git …)`
  const command = RUN_BY[hook] ?? "git"
  const noFlag = RUN_BY[hook] !== undefined ? ` (${command} --no-verify does not skip ${hook})` : ""
  const everything = `HOOKD=0 ${command} …${noFlag}`
  return jobs.length === 0 ? everything : `HOOKD_SKIP=${jobs.join(",")} ${command} … to skip those jobs, or ${everything}`
}
