// argv → a typed command (pure: no I/O). Every usage problem is a UsageError (exit 2) carrying
// the command's usage line.
import { resolve } from "node:path"
import { HOOK_WORD_PATTERN } from "../config/hook-names"
import { parseDuration } from "../config/units"
import { JOB_STATUSES, type JobAddress, type LogKind, type RunMode } from "../protocol/types"
import { INVOCATION_PREFIX_PATTERN, parseJobRef } from "./address"
import { flagBool, flagList, flagString, parseArgv, type FlagSpec, type ParsedArgs } from "./argv"
import { COMMANDS, GLOBAL_USAGE, commandHelp, commandSpec, globalHelp, type CommandSpec } from "./commands-spec"
import { EXIT_USAGE, UsageError } from "./errors"
import { LIST_FORMATS, type ListFormat } from "./list-formats"
import { DEFAULT_LIST_LIMIT, FAILED_STATUSES } from "./list-defaults"
import { repoOf } from "./repo-option"
import { didYouMean } from "./suggest"

/** `ls --watch` without an interval redraws every second. */
export const DEFAULT_WATCH_MS = 1000

export interface ListQuery {
  readonly allRepos: boolean
  readonly worktree?: string
  readonly hook?: string
  readonly statuses: ReadonlyArray<string>
  readonly tag?: string
  readonly invocationPrefix?: string
  /** 0 = no limit. */
  readonly limit: number
  /** `--failed`: the failures no hook run has reported yet come first. */
  readonly failed?: true
}

export interface CancelFilters {
  readonly hook?: string
  readonly worktree?: string
  readonly tag?: string
  readonly invocationPrefix?: string
  readonly olderThanSecs?: number
}

export type Command =
  /** Help text; bare `hookctl` prints the full help to stderr and exits 2. */
  | { readonly kind: "help"; readonly text: string; readonly exitCode?: number }
  | { readonly kind: "version" }
  | { readonly kind: "status"; readonly repo: string; readonly json: boolean }
  | {
      readonly kind: "ls"
      readonly repo: string
      readonly query: ListQuery
      readonly format: ListFormat
      /** `--watch [interval]`: redraw every this many ms. */
      readonly watchMs?: number
    }
  | {
      readonly kind: "logs"
      readonly repo: string
      /** Without a job: the newest job (`failed`: the newest failed one) of the worktree containing `cwd`. */
      readonly job: JobAddress | { readonly newest: "any" | "failed"; readonly cwd: string }
      readonly follow: boolean
      /** Kinds to print; `undefined` = all (stdout, stderr and status). */
      readonly kinds: ReadonlyArray<LogKind> | undefined
      readonly sinceSeq?: number
      readonly sinceMs?: number
      readonly json: boolean
    }
  | {
      readonly kind: "wait"
      readonly repo: string
      readonly target:
        | { readonly by: "job"; readonly job: JobAddress }
        | { readonly by: "invocation"; readonly prefix: string }
        | { readonly by: "all" }
        | { readonly by: "newest-invocation"; readonly cwd: string }
      readonly timeoutMs?: number
    }
  | { readonly kind: "show"; readonly repo: string; readonly job: JobAddress; readonly json: boolean }
  | {
      readonly kind: "cancel"
      readonly repo: string
      readonly target:
        | { readonly by: "job"; readonly job: JobAddress }
        | { readonly by: "all"; readonly allRepos: boolean }
        | { readonly by: "matching"; readonly filters: CancelFilters }
    }
  | {
      readonly kind: "retry"
      readonly repo: string
      readonly target: { readonly job: JobAddress } | { readonly invocationPrefix: string }
    }
  | {
      readonly kind: "prune"
      readonly repo: string
      readonly dryRun: boolean
      readonly olderThanSecs?: number
      readonly allRepos: boolean
      readonly json: boolean
    }
  | {
      readonly kind: "run-hook"
      readonly repo: string
      readonly hook: string
      readonly mode: RunMode
      readonly args: ReadonlyArray<string>
      /** Run jobs whose inputs are unchanged too (sends HOOKD_FORCE=1). */
      readonly force: boolean
    }
  | {
      readonly kind: "hooks"
      readonly repo: string
      readonly action: "install" | "uninstall" | "status"
      readonly force: boolean
      /** status --format json */
      readonly json: boolean
    }
  | { readonly kind: "service"; readonly args: ReadonlyArray<string> }
  | { readonly kind: "shutdown" }
  | { readonly kind: "completion"; readonly shell: "bash" | "zsh" | "fish" }

const GLOBAL_FLAGS: ReadonlyArray<FlagSpec> = [
  { name: "repo", value: true },
  { name: "version", short: "V" },
  { name: "help", short: "h" }
]

/** Index of the command word: the first argument that is neither a global option nor the value of `--repo`. */
const commandIndex = (argv: ReadonlyArray<string>): number => {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (token === "--repo") i++
    else if (token === "--" || !token.startsWith("-") || token === "-") return i
  }
  return argv.length
}

export const parseCommandLine = (argv: ReadonlyArray<string>, cwd: string): Command => {
  // Global options come before the command word.
  const at = commandIndex(argv)
  const globals = parseArgv(argv.slice(0, at), GLOBAL_FLAGS, GLOBAL_USAGE)
  if (flagBool(globals, "version")) return { kind: "version" }
  if (flagBool(globals, "help")) return { kind: "help", text: globalHelp() }
  const globalRepo = flagString(globals, "repo")
  if (globalRepo === "") throw new UsageError("--repo needs a value", GLOBAL_USAGE)
  const i = at
  const name = argv[i]
  if (name === undefined || name === "--") return { kind: "help", text: globalHelp(), exitCode: EXIT_USAGE }
  if (name === "help") {
    const topic = argv[i + 1] === undefined ? undefined : commandSpec(argv[i + 1])
    return { kind: "help", text: topic ? commandHelp(topic) : globalHelp() }
  }
  const spec = commandSpec(name)
  if (!spec) {
    const names = COMMANDS.map((c) => c.name)
    const hint = didYouMean(name, names)
    throw new UsageError(`unknown command "${name}"${hint || ` (one of: ${names.join(", ")})`}`, GLOBAL_USAGE)
  }
  const rest = argv.slice(i + 1)
  // `service` has its own parser (src/service); only intercept its --help when it is the sole word.
  if (spec.name === "service") {
    if (rest.length === 0) throw new UsageError("missing subcommand", spec.usage)
    return rest.length === 1 && (rest[0] === "--help" || rest[0] === "-h")
      ? { kind: "help", text: commandHelp(spec) }
      : { kind: "service", args: rest }
  }
  const args = parseArgv(rest, spec.flags, spec.usage)
  if (flagBool(args, "help")) return { kind: "help", text: commandHelp(spec) }
  const repoText = flagString(args, "repo") ?? globalRepo
  return buildCommand(spec, args, repoOf(cwd, repoText), cwd)
}

const buildCommand = (spec: CommandSpec, args: ParsedArgs, repo: string, cwd: string): Command => {
  const usage = (message: string) => new UsageError(message, spec.usage)
  const positionals = (min: number, max: number, what: string) => {
    const p = args.positionals
    if (p.length < min) throw usage(`missing ${what}`)
    if (p.length > max) throw usage(`unexpected argument "${p[max]}"`)
    if (args.rest !== undefined && spec.name !== "run-hook") throw usage("unexpected `--`")
    return p
  }
  const job = (text: string): JobAddress => {
    const parsed = parseJobRef(text, repo)
    if (!parsed.ok) throw usage(parsed.message)
    return parsed.address
  }
  const duration = (flag: string): number | undefined => {
    const text = flagString(args, flag)
    if (text === undefined) return undefined
    const ms = parseDuration(text)
    if (ms === undefined) throw usage(`--${flag}: "${text}" is not a duration (e.g. 90s, 10m, 1h30m, 7d)`)
    return ms
  }
  const seconds = (flag: string) => {
    const ms = duration(flag)
    return ms === undefined ? undefined : Math.floor(ms / 1000)
  }
  const count = (flag: string, min: number): number | undefined => {
    const text = flagString(args, flag)
    if (text === undefined) return undefined
    if (!/^\d+$/.test(text) || Number(text) < min) throw usage(`--${flag}: "${text}" is not an integer ≥ ${min}`)
    return Number(text)
  }
  const prefix = (): string | undefined => {
    const text = flagString(args, "inv")?.toLowerCase()
    if (text !== undefined && !INVOCATION_PREFIX_PATTERN.test(text)) {
      throw usage(`--inv: "${text}" is not an invocation prefix (4–16 hex characters)`)
    }
    return text
  }
  const path = (flag: string): string | undefined => {
    const text = flagString(args, flag)
    return text === undefined ? undefined : resolve(cwd, text)
  }

  switch (spec.name) {
    case "status":
      positionals(0, 0, "")
      return { kind: "status", repo, json: flagBool(args, "json") }
    case "ls": {
      positionals(0, 0, "")
      const aliases = (["json", "ndjson", "tsv"] as const).filter((f) => flagBool(args, f))
      const named = flagString(args, "format")
      if (named !== undefined && !(LIST_FORMATS as ReadonlyArray<string>).includes(named)) {
        throw usage(`--format: unknown format "${named}"${didYouMean(named, LIST_FORMATS) || ` (one of: ${LIST_FORMATS.join(", ")})`}`)
      }
      const formats = [...new Set([...(named === undefined ? [] : [named as ListFormat]), ...aliases])]
      if (formats.length > 1) throw usage(`choose one of --${formats.join(", --")}`)
      const statuses = flagList(args, "status").flatMap((s) => s.split(",")).filter((s) => s !== "")
      for (const s of statuses) {
        if (!(JOB_STATUSES as ReadonlyArray<string>).includes(s)) {
          throw usage(`--status: unknown status "${s}"${didYouMean(s, JOB_STATUSES) || ` (one of: ${JOB_STATUSES.join(", ")})`}`)
        }
      }
      if (flagBool(args, "failed") && statuses.length > 0) throw usage("--failed is short for --status failed,timed_out,crashed: give one or the other")
      const format = formats[0] ?? "table"
      const watch = args.flags.get("watch")
      if (watch !== undefined && format !== "table") throw usage("--watch redraws the table: it does not go with --format " + format)
      const watchMs = watch === undefined ? undefined : watch === true ? DEFAULT_WATCH_MS : duration("watch")
      if (watchMs === 0) throw usage("--watch: the interval must be more than 0")
      return {
        kind: "ls",
        repo,
        format,
        ...(watchMs !== undefined && { watchMs }),
        query: {
          allRepos: flagBool(args, "all-repos"),
          worktree: path("worktree"),
          hook: flagString(args, "hook"),
          statuses: flagBool(args, "failed") ? FAILED_STATUSES : statuses,
          tag: flagString(args, "tag"),
          invocationPrefix: prefix(),
          limit: count("limit", 0) ?? DEFAULT_LIST_LIMIT,
          ...(flagBool(args, "failed") && { failed: true as const })
        }
      }
    }
    case "logs": {
      const p = positionals(0, 1, "<job>")
      const failed = flagBool(args, "failed")
      if (failed && p.length > 0) throw usage("give a <job> or --failed, not both")
      const chosen = (["stdout", "stderr", "status"] as const).filter((k) => flagBool(args, k))
      return {
        kind: "logs",
        repo,
        job: p.length > 0 ? job(p[0]) : { newest: failed ? "failed" : "any", cwd },
        follow: flagBool(args, "follow"),
        kinds: chosen.length === 0 ? undefined : chosen,
        sinceSeq: count("since-seq", 0),
        sinceMs: duration("since"),
        json: flagBool(args, "json")
      }
    }
    case "wait": {
      const p = positionals(0, 1, "<job>")
      const inv = prefix()
      const all = flagBool(args, "all")
      if ([p.length > 0, inv !== undefined, all].filter(Boolean).length > 1) throw usage("give at most one of: a <job>, --inv PREFIX, --all")
      const timeoutMs = duration("timeout")
      return {
        kind: "wait",
        repo,
        target:
          p.length > 0
            ? { by: "job", job: job(p[0]) }
            : inv !== undefined
              ? { by: "invocation", prefix: inv }
              : all
                ? { by: "all" }
                : { by: "newest-invocation", cwd },
        ...(timeoutMs !== undefined && { timeoutMs })
      }
    }
    case "show": {
      const [ref] = positionals(1, 1, "<job>")
      return { kind: "show", repo, job: job(ref), json: flagBool(args, "json") }
    }
    case "cancel": {
      const p = positionals(0, 1, "<job>")
      const filters: CancelFilters = {
        hook: flagString(args, "hook"),
        worktree: path("worktree"),
        tag: flagString(args, "tag"),
        invocationPrefix: prefix(),
        olderThanSecs: seconds("older-than")
      }
      const hasFilters = Object.values(filters).some((v) => v !== undefined)
      const all = flagBool(args, "all")
      if ([p.length > 0, all, hasFilters].filter(Boolean).length !== 1) {
        throw usage("give exactly one of: a <job>, --all, or filters (--hook, --worktree, --tag, --inv, --older-than)")
      }
      if (flagBool(args, "all-repos") && !all) throw usage("--all-repos goes with --all")
      if (p.length > 0) return { kind: "cancel", repo, target: { by: "job", job: job(p[0]) } }
      if (all) return { kind: "cancel", repo, target: { by: "all", allRepos: flagBool(args, "all-repos") } }
      return { kind: "cancel", repo, target: { by: "matching", filters } }
    }
    case "retry": {
      const p = positionals(0, 1, "<job>")
      const inv = prefix()
      if ((p.length > 0) === (inv !== undefined)) throw usage("give either a <job> or --inv PREFIX")
      return { kind: "retry", repo, target: inv !== undefined ? { invocationPrefix: inv } : { job: job(p[0]) } }
    }
    case "prune":
      positionals(0, 0, "")
      return {
        kind: "prune",
        repo,
        dryRun: flagBool(args, "dry-run"),
        olderThanSecs: seconds("older-than"),
        allRepos: flagBool(args, "all-repos"),
        json: flagBool(args, "json")
      }
    case "run-hook": {
      const [hook] = positionals(1, 1, "<hook>")
      if (!HOOK_WORD_PATTERN.test(hook)) throw usage(`"${hook}" is not a git hook name`)
      const mode = flagString(args, "mode") ?? "auto"
      if (mode !== "auto" && mode !== "foreground" && mode !== "background") {
        throw usage(`--mode: "${mode}" (expected auto, foreground or background)`)
      }
      return { kind: "run-hook", repo, hook, mode, args: args.rest ?? [], force: flagBool(args, "force") }
    }
    case "hooks": {
      const [action] = positionals(1, 1, "install, uninstall or status")
      if (action !== "install" && action !== "uninstall" && action !== "status") {
        throw usage(`unknown hooks action "${action}"${didYouMean(action, ["install", "uninstall", "status"])}`)
      }
      if (action !== "install" && flagBool(args, "force")) throw usage("--force goes with install")
      const format = flagString(args, "format")
      if (format !== undefined && action !== "status") throw usage("--format goes with status")
      if (format !== undefined && format !== "json" && format !== "table") throw usage(`--format: unknown format "${format}" (table or json)`)
      return { kind: "hooks", repo, action, force: flagBool(args, "force"), json: format === "json" }
    }
    case "shutdown":
      positionals(0, 0, "")
      return { kind: "shutdown" }
    case "completion": {
      const [shell] = positionals(1, 1, "shell (bash, zsh or fish)")
      if (shell !== "bash" && shell !== "zsh" && shell !== "fish") throw usage(`unknown shell "${shell}"`)
      return { kind: "completion", shell }
    }
    default:
      throw usage(`unknown command "${spec.name}"`)
  }
}
