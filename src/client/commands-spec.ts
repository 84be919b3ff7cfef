// The command table: names, usage lines, flags, one-line summaries. Shared by the parser,
// `--help` and the shell completions, so a new flag is added in exactly one place.
import type { FlagSpec } from "./argv"

export interface CommandSpec {
  readonly name: string
  readonly usage: string
  readonly summary: string
  readonly flags: ReadonlyArray<FlagSpec>
  /** Words that may follow the command (subcommands or fixed choices), for completion. */
  readonly words?: ReadonlyArray<string>
  /** Extra lines for `--help`: rules a usage line cannot show. */
  readonly details?: ReadonlyArray<string>
}

const repo: FlagSpec = { name: "repo", value: true }
const help: FlagSpec = { name: "help", short: "h" }
const common = [repo, help]

export const COMMANDS: ReadonlyArray<CommandSpec> = [
  {
    name: "status",
    usage: "hookctl status [--json]",
    summary: "supervisor pid, version, uptime, repos, running and queued jobs",
    flags: [{ name: "json" }, ...common]
  },
  {
    name: "ls",
    usage:
      "hookctl ls [--all-repos] [--worktree W] [--hook H] [--status S]… [--failed] [--tag T] [--inv PREFIX] [--limit N] [--watch [1s]] [--format table|json|ndjson|tsv|csv|markdown|yaml]",
    summary: "list jobs of this repository, newest first",
    details: [
      "--limit defaults to 20 (0 = all); --failed = --status failed,timed_out,crashed, the failures no hook run reported yet first.",
      "--watch redraws the table in place every interval (default 1s) until Ctrl-C.",
      "--json, --ndjson and --tsv are short for --format json|ndjson|tsv."
    ],
    flags: [
      { name: "all-repos" },
      { name: "failed" },
      { name: "watch", value: true, optionalValue: true },
      { name: "format", value: true },
      { name: "worktree", value: true },
      { name: "hook", value: true },
      { name: "status", value: true, repeat: true },
      { name: "tag", value: true },
      { name: "inv", value: true },
      { name: "limit", value: true },
      { name: "json" },
      { name: "ndjson" },
      { name: "tsv" },
      ...common
    ]
  },
  {
    name: "logs",
    usage: "hookctl logs [<job> | --failed] [-f|--follow] [--stdout] [--stderr] [--status] [--since-seq N] [--since 10m] [--json]",
    summary: "print a job's output (and follow it live with -f)",
    details: [
      "Without <job>: the newest job of the current worktree; --failed: the newest failed one (failed, timed_out, crashed).",
      "stdout records go to stdout, stderr records to stderr, status events to stderr as `[hookd] <event> k=v`.",
      "Without --stdout/--stderr/--status all three are shown; naming any shows only those.",
      "--since 10m drops records older than that; --json prints the raw records, one per line.",
      "With -f the exit status is 0 if the job completed, 1 otherwise."
    ],
    flags: [
      { name: "failed" },
      { name: "follow", short: "f" },
      { name: "stdout" },
      { name: "stderr" },
      { name: "status" },
      { name: "since-seq", value: true },
      { name: "since", value: true },
      { name: "json" },
      ...common
    ]
  },
  {
    name: "wait",
    usage: "hookctl wait [<job> | --inv PREFIX | --all] [--timeout D]",
    summary: "block until jobs end; exit 0 only if all of them completed",
    details: [
      "Without <job>, --inv or --all: the jobs of the newest invocation of the current worktree.",
      "--all: every job of this repository that is queued or running now.",
      "One line per job as it ends. Exit 0 if all completed, 1 otherwise, 124 when --timeout passes first."
    ],
    flags: [{ name: "inv", value: true }, { name: "all" }, { name: "timeout", value: true }, ...common]
  },
  {
    name: "show",
    usage: "hookctl show <job> [--json]",
    summary: "everything recorded about one job: command, status and why, times, log",
    details: ["Environment variables are listed by name only; their values are never shown."],
    flags: [{ name: "json" }, ...common]
  },
  {
    name: "cancel",
    usage:
      "hookctl cancel <job> | --all [--all-repos] | [--hook H] [--worktree W] [--tag T] [--inv PREFIX] [--older-than 1h]",
    summary: "cancel one job, every job, or the jobs matching all the given filters",
    details: ["--all cancels every job of this repository; add --all-repos for every repository.", "Exit 4 when nothing matches the filters."],
    flags: [
      { name: "all" },
      { name: "all-repos" },
      { name: "hook", value: true },
      { name: "worktree", value: true },
      { name: "tag", value: true },
      { name: "inv", value: true },
      { name: "older-than", value: true },
      ...common
    ]
  },
  {
    name: "retry",
    usage: "hookctl retry <job> | --inv PREFIX",
    summary: "re-run a job, or an invocation's failed jobs and what needs them",
    flags: [{ name: "inv", value: true }, ...common]
  },
  {
    name: "prune",
    usage: "hookctl prune [--dry-run] [--older-than 30d] [--all-repos] [--json]",
    summary: "delete finished invocations and their logs per the retention policy",
    flags: [{ name: "dry-run" }, { name: "older-than", value: true }, { name: "all-repos" }, { name: "json" }, ...common]
  },
  {
    name: "run-hook",
    usage: "hookctl run-hook <hook> [--mode auto|foreground|background] [--force] -- <git hook args>",
    summary: "run a hook's jobs (what the installed shims call)",
    details: [
      "Sends the hook's args, environment and (for hooks git feeds on stdin) stdin; waits for the foreground jobs,",
      "printing their output live, prefixed `[job] ` when the hook has several jobs. Exit 1 if one did not complete.",
      "Supervisor unreachable: exit 3 if the hook has foreground jobs, else one warning and exit 0. An invalid",
      "hookd.yml: file:line: path: problem, then exit 1 if the hook has foreground jobs, else exit 0.",
      "--force (or HOOKD_FORCE=1 in the hook's environment) runs jobs whose `inputs:` are unchanged too."
    ],
    flags: [{ name: "mode", value: true }, { name: "force" }, ...common]
  },
  {
    name: "hooks",
    usage: "hookctl hooks install [--force] | hookctl hooks uninstall | hookctl hooks status [--format json]",
    summary: "write (or remove) the git hook shims for the hooks in hookd.yml, or show which are missing",
    details: [
      "A hook file that is not a hookd shim is never overwritten: install changes nothing and exits 1,",
      "unless --force, which keeps it as <hook>.hookd-backup. uninstall removes shims and restores backups.",
      "status lists the configured, installed, missing and foreign hooks; exit 1 when a configured hook has no shim."
    ],
    flags: [{ name: "force" }, { name: "format", value: true }, ...common],
    words: ["install", "uninstall", "status"]
  },
  {
    name: "service",
    usage: "hookctl service install [--dry-run] | service uninstall [--dry-run] | service status",
    summary: "manage the systemd user unit / launchd agent that runs hookd",
    // Parsed by src/service/cli.ts; listed here for --help and the completions.
    flags: [{ name: "dry-run" }, help],
    words: ["install", "uninstall", "status"]
  },
  {
    name: "shutdown",
    usage: "hookctl shutdown",
    summary: "stop the supervisor gracefully (running jobs are cancelled)",
    flags: [help]
  },
  {
    name: "completion",
    usage: "hookctl completion bash|zsh|fish",
    summary: "print a shell completion script",
    flags: [help],
    words: ["bash", "zsh", "fish"]
  }
]

export const commandSpec = (name: string): CommandSpec | undefined => COMMANDS.find((c) => c.name === name)

export const GLOBAL_USAGE = "hookctl [--repo PATH] <command> [options]   (hookctl <command> --help for details)"

export const globalHelp = (): string =>
  [
    `usage: ${GLOBAL_USAGE}`,
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`),
    "",
    "global options:",
    "  --repo PATH  the repository to act on (default: the current directory)",
    "  --version    print hookctl's version",
    "  --help       this help",
    "",
    "<job> is a job name (the newest run of it) or <invocation-prefix>:<name>, as `hookctl ls` prints it.",
    "exit codes: 0 ok, 1 failed, 2 usage, 3 supervisor unreachable, 4 not found / no match"
  ].join("\n")

export const commandHelp = (spec: CommandSpec): string =>
  [
    `usage: ${spec.usage}`,
    "",
    spec.summary,
    ...(spec.details ? ["", ...spec.details] : []),
    ...(spec.flags.some((f) => f.name === "repo") ? ["", "--repo PATH  the repository (default: the current directory)"] : [])
  ].join("\n")
