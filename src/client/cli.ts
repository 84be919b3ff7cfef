// argv → a typed command (pure: no I/O). Every usage problem is a UsageError (exit 2) carrying
// the command's usage line.
import { isAbsolute, resolve } from "node:path"
import { parseDuration } from "../config/units"
import { JOB_STATUSES, type JobAddress, type LogKind, type RunMode } from "../protocol/types"
import { INVOCATION_PREFIX_PATTERN, parseJobRef } from "./address"
import { flagBool, flagList, flagString, parseArgv, type ParsedArgs } from "./argv"
import { COMMANDS, GLOBAL_USAGE, commandHelp, commandSpec, globalHelp, type CommandSpec } from "./commands-spec"
import { UsageError } from "./errors"
import type { ListFormat } from "./jobs-view"

export interface ListQuery {
  readonly allRepos: boolean
  readonly worktree?: string
  readonly hook?: string
  readonly statuses: ReadonlyArray<string>
  readonly tag?: string
  readonly invocationPrefix?: string
  readonly limit?: number
}

export interface CancelFilters {
  readonly hook?: string
  readonly worktree?: string
  readonly tag?: string
  readonly invocationPrefix?: string
  readonly olderThanSecs?: number
}

export type Command =
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version" }
  | { readonly kind: "status"; readonly repo: string; readonly json: boolean }
  | { readonly kind: "ls"; readonly repo: string; readonly query: ListQuery; readonly format: ListFormat }
  | {
      readonly kind: "logs"
      readonly repo: string
      readonly job: JobAddress
      readonly follow: boolean
      /** Kinds to print; `undefined` = all (stdout, stderr and status). */
      readonly kinds: ReadonlyArray<LogKind> | undefined
      readonly sinceSeq?: number
      readonly sinceMs?: number
      readonly json: boolean
    }
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
  | { readonly kind: "hooks"; readonly repo: string; readonly action: "install" | "uninstall"; readonly force: boolean }
  | { readonly kind: "service"; readonly args: ReadonlyArray<string> }
  | { readonly kind: "shutdown" }
  | { readonly kind: "completion"; readonly shell: "bash" | "zsh" | "fish" }

export const parseCommandLine = (argv: ReadonlyArray<string>, cwd: string): Command => {
  // Global options come before the command word.
  let globalRepo: string | undefined
  let i = 0
  for (; i < argv.length; i++) {
    const token = argv[i]
    if (token === "--version" || token === "-V") return { kind: "version" }
    if (token === "--help" || token === "-h") return { kind: "help", text: globalHelp() }
    if (token === "--repo" || token.startsWith("--repo=")) {
      const value = token === "--repo" ? argv[++i] : token.slice("--repo=".length)
      if (value === undefined || value === "") throw new UsageError("--repo needs a value", GLOBAL_USAGE)
      globalRepo = value
      continue
    }
    if (token.startsWith("-")) throw new UsageError(`unknown option ${token}`, GLOBAL_USAGE)
    break
  }
  const name = argv[i]
  if (name === undefined) throw new UsageError("missing command", GLOBAL_USAGE)
  if (name === "help") {
    const topic = argv[i + 1] === undefined ? undefined : commandSpec(argv[i + 1])
    return { kind: "help", text: topic ? commandHelp(topic) : globalHelp() }
  }
  const spec = commandSpec(name)
  if (!spec) throw new UsageError(`unknown command "${name}" (one of: ${COMMANDS.map((c) => c.name).join(", ")})`, GLOBAL_USAGE)
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
  const repo = repoText === undefined ? cwd : isAbsolute(repoText) ? repoText : resolve(cwd, repoText)
  return buildCommand(spec, args, repo, cwd)
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
      const formats = (["json", "ndjson", "tsv"] as const).filter((f) => flagBool(args, f))
      if (formats.length > 1) throw usage(`choose one of --${formats.join(", --")}`)
      const statuses = flagList(args, "status").flatMap((s) => s.split(",")).filter((s) => s !== "")
      for (const s of statuses) {
        if (!(JOB_STATUSES as ReadonlyArray<string>).includes(s)) {
          throw usage(`--status: unknown status "${s}" (one of: ${JOB_STATUSES.join(", ")})`)
        }
      }
      return {
        kind: "ls",
        repo,
        format: formats[0] ?? "table",
        query: {
          allRepos: flagBool(args, "all-repos"),
          worktree: path("worktree"),
          hook: flagString(args, "hook"),
          statuses,
          tag: flagString(args, "tag"),
          invocationPrefix: prefix(),
          limit: count("limit", 1)
        }
      }
    }
    case "logs": {
      const [ref] = positionals(1, 1, "<job>")
      const chosen = (["stdout", "stderr", "status"] as const).filter((k) => flagBool(args, k))
      return {
        kind: "logs",
        repo,
        job: job(ref),
        follow: flagBool(args, "follow"),
        kinds: chosen.length === 0 ? undefined : chosen,
        sinceSeq: count("since-seq", 0),
        sinceMs: duration("since"),
        json: flagBool(args, "json")
      }
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
      if (!/^[a-z][a-z0-9-]*$/.test(hook)) throw usage(`"${hook}" is not a git hook name`)
      const mode = flagString(args, "mode") ?? "auto"
      if (mode !== "auto" && mode !== "foreground" && mode !== "background") {
        throw usage(`--mode: "${mode}" (expected auto, foreground or background)`)
      }
      return { kind: "run-hook", repo, hook, mode, args: args.rest ?? [], force: flagBool(args, "force") }
    }
    case "hooks": {
      const [action] = positionals(1, 1, "install or uninstall")
      if (action !== "install" && action !== "uninstall") throw usage(`unknown hooks action "${action}"`)
      if (action === "uninstall" && flagBool(args, "force")) throw usage("--force goes with install")
      return { kind: "hooks", repo, action, force: flagBool(args, "force") }
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
