// The one error the config loader reports (SPEC §2 CONFIG_INVALID carries file, line and path).
import { Data } from "effect"

export class ConfigInvalid extends Data.TaggedError("ConfigInvalid")<{
  /** Absolute path of the file holding the problem. */
  readonly file: string
  /** 1-based line of the problem, when it has one. */
  readonly line: number | undefined
  /** Where in the config, like `hooks.pre-commit.jobs[1].timeout`; `(root)` for the whole file. */
  readonly path: string
  readonly message: string
}> {}

/** `hookd.yml:12: hooks.pre-commit.jobs[0].timeout: expected a duration …` — for logs and the CLI. */
export const describeConfigInvalid = (error: ConfigInvalid): string =>
  `${error.file}${error.line === undefined ? "" : `:${error.line}`}: ${error.path}: ${error.message}`
