// Shell completion scripts, generated from the command table (so they never miss a flag).
// Commands and flags only: job names would need a round trip to the supervisor.
import { JOB_STATUSES } from "../protocol/types"
import { COMMANDS, type CommandSpec } from "./commands-spec"
import { LIST_FORMATS } from "./list-formats"
import type { FlagSpec } from "./argv"

const GLOBAL_FLAGS = ["--repo", "--help", "--version"]
/** Fixed choices for a flag's value; `dir` = complete directories. */
const FLAG_VALUES: Readonly<Record<string, ReadonlyArray<string> | "dir">> = {
  mode: ["auto", "foreground", "background"],
  status: JOB_STATUSES,
  format: LIST_FORMATS,
  repo: "dir",
  worktree: "dir"
}

const flagWords = (spec: CommandSpec): string[] =>
  spec.flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])])

const bash = (): string => {
  const cases = COMMANDS.map(
    (c) => `    ${c.name}) words="${[...(c.words ?? []), ...flagWords(c)].join(" ")}" ;;`
  ).join("\n")
  const valueCases = Object.entries(FLAG_VALUES)
    .map(([flag, values]) =>
      values === "dir"
        ? `    --${flag}) COMPREPLY=( $(compgen -d -- "$cur") ); return 0 ;;`
        : `    --${flag}) COMPREPLY=( $(compgen -W "${values.join(" ")}" -- "$cur") ); return 0 ;;`
    )
    .join("\n")
  return `# bash completion for hookctl: source <(hookctl completion bash)
_hookctl() {
  local cur prev cmd words i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${valueCases}
  esac
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --repo) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "") words="${COMMANDS.map((c) => c.name).join(" ")} ${GLOBAL_FLAGS.join(" ")}" ;;
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  return 0
}
complete -F _hookctl hookctl
`
}

const zshQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

const zsh = (): string => {
  const described = COMMANDS.map((c) => zshQuote(`${c.name}:${c.summary.replace(/:/g, "\\:")}`)).join(" ")
  const cases = COMMANDS.map((c) => `    ${c.name}) compadd -- ${[...(c.words ?? []), ...flagWords(c)].join(" ")} ;;`).join("\n")
  const valueCases = Object.entries(FLAG_VALUES)
    .map(([flag, values]) =>
      values === "dir" ? `    --${flag}) _directories; return ;;` : `    --${flag}) compadd -- ${values.join(" ")}; return ;;`
    )
    .join("\n")
  return `#compdef hookctl
# zsh completion for hookctl: source <(hookctl completion zsh), or save as _hookctl in your $fpath
_hookctl() {
  local -a commands
  commands=(${described})
  case "\${words[CURRENT-1]}" in
${valueCases}
  esac
  local cmd="" i
  for ((i = 2; i < CURRENT; i++)); do
    case "\${words[i]}" in
      --repo) ((i++)) ;;
      -*) ;;
      *) cmd="\${words[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    _describe 'hookctl command' commands
    compadd -- ${GLOBAL_FLAGS.join(" ")}
    return
  fi
  case "$cmd" in
${cases}
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _hookctl "$@"
else
  compdef _hookctl hookctl
fi
`
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`

const fishFlag = (command: string, f: FlagSpec): string => {
  const values = FLAG_VALUES[f.name]
  const value = !f.value ? "" : values === "dir" ? " -r -a '(__fish_complete_directories)'" : values ? ` -x -a ${fishQuote(values.join(" "))}` : " -x"
  return `complete -c hookctl -n '__fish_seen_subcommand_from ${command}' -l ${f.name}${f.short ? ` -s ${f.short}` : ""}${value}`
}

const fish = (): string => {
  const names = COMMANDS.map((c) => c.name).join(" ")
  return [
    "# fish completion for hookctl: hookctl completion fish | source",
    "complete -c hookctl -f",
    `complete -c hookctl -n 'not __fish_seen_subcommand_from ${names}' -l repo -r -a '(__fish_complete_directories)'`,
    `complete -c hookctl -n 'not __fish_seen_subcommand_from ${names}' -l version`,
    `complete -c hookctl -n 'not __fish_seen_subcommand_from ${names}' -l help`,
    ...COMMANDS.map((c) => `complete -c hookctl -n 'not __fish_seen_subcommand_from ${names}' -a ${c.name} -d ${fishQuote(c.summary)}`),
    ...COMMANDS.flatMap((c) => [
      ...(c.words ? [`complete -c hookctl -n '__fish_seen_subcommand_from ${c.name}' -a ${fishQuote(c.words.join(" "))}`] : []),
      ...c.flags.map((f) => fishFlag(c.name, f))
    ]),
    ""
  ].join("\n")
}

export const completionScript = (shell: "bash" | "zsh" | "fish"): string =>
  shell === "bash" ? bash() : shell === "zsh" ? zsh() : fish()
