// Placeholders in a job's `run` (SPEC §8). Every substituted value is shell-quoted, so a file
// name or argument with spaces or quotes stays one word. Any other `{word}` is left alone:
// shell brace expansion and `${VAR}` are common in commands. Pure.
import { shellQuote, shellQuoteAll } from "./shell-quote"

export interface TemplateValues {
  readonly args: ReadonlyArray<string>
  readonly worktree: string
  readonly repoRoot: string
  /** Only needed when `run` contains `{staged_files}`. */
  readonly stagedFiles?: ReadonlyArray<string>
}

const PLACEHOLDER = /\{(args|staged_files|worktree|repo_root|[1-9][0-9]*)\}/g

export const usesStagedFiles = (run: string): boolean => run.includes("{staged_files}")

/**
 * `{args}` all hook args, `{1}`, `{2}`… one arg each (a missing one becomes `''`),
 * `{staged_files}` the staged paths, `{worktree}`, `{repo_root}` — each quoted.
 */
export const expandTemplates = (run: string, values: TemplateValues): string =>
  run.replace(PLACEHOLDER, (_match, name: string) => {
    switch (name) {
      case "args":
        return shellQuoteAll(values.args)
      case "staged_files":
        return shellQuoteAll(values.stagedFiles ?? [])
      case "worktree":
        return shellQuote(values.worktree)
      case "repo_root":
        return shellQuote(values.repoRoot)
      default:
        return shellQuote(values.args[Number(name) - 1] ?? "")
    }
  })
