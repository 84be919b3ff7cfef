// argv → flags and positionals through node:util parseArgs (strict: unknown options, a missing value,
// a value given to a boolean flag are errors). The per-command FlagSpec lists stay declarative; this
// module only turns parseArgs' errors into UsageErrors with a did-you-mean for unknown flags.
import { parseArgs } from "node:util"
import { UsageError } from "./errors"
import { didYouMean } from "./suggest"

export interface FlagSpec {
  /** Long name without dashes, e.g. "since-seq". */
  readonly name: string
  readonly short?: string
  readonly value?: boolean
  readonly repeat?: boolean
  /** A value flag that may also be given bare (`--watch` or `--watch 2s`): it then reads as `true`. */
  readonly optionalValue?: boolean
}

export interface ParsedArgs {
  /** Boolean flags map to `true`; value flags to their value(s). */
  readonly flags: ReadonlyMap<string, true | string | ReadonlyArray<string>>
  readonly positionals: ReadonlyArray<string>
  /** Everything after `--`, untouched. */
  readonly rest: ReadonlyArray<string> | undefined
}

/** The option parseArgs names in its message (`'--hook <value>'`, `'-f, --follow'`): its long form when it has one. */
const optionIn = (message: string): string => {
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? ""
  return /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(" ")[0]
}

/**
 * A flag with an optional value (`--watch [interval]`) is declared as a boolean to parseArgs; a value
 * right after it that looks like one (a duration, a number) is taken out of the positionals here.
 */
const OPTIONAL_VALUE = /^\d/

export const parseArgv = (argv: ReadonlyArray<string>, specs: ReadonlyArray<FlagSpec>, usage: string): ParsedArgs => {
  const options = Object.fromEntries(
    specs.map((s) => [
      s.name,
      { type: s.value && !s.optionalValue ? ("string" as const) : ("boolean" as const), multiple: true, ...(s.short ? { short: s.short } : {}) }
    ])
  )
  // `--name=value` of an optional-value flag: split it off before parseArgs sees a value on a boolean.
  const inlineValues = new Map<string, string>()
  const args = argv.filter((token, i) => {
    const terminator = argv.indexOf("--")
    if (terminator >= 0 && i > terminator) return true
    const spec = specs.find((s) => s.optionalValue && token.startsWith(`--${s.name}=`))
    if (spec === undefined) return true
    inlineValues.set(spec.name, token.slice(spec.name.length + 3))
    return false
  })
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; tokens: true; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true, tokens: true })
  } catch (e) {
    throw translate(e, specs, usage)
  }
  const flags = new Map<string, true | string | string[]>()
  const positionals: string[] = []
  let rest: string[] | undefined
  const tokens = parsed.tokens
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]
    if (token.kind === "option-terminator") {
      rest = args.slice(token.index + 1)
      break
    }
    if (token.kind === "positional") {
      positionals.push(token.value)
      continue
    }
    const spec = specs.find((s) => s.name === token.name) as FlagSpec
    if (!spec.value) {
      flags.set(spec.name, true)
      continue
    }
    let value: string | true | undefined = token.value
    if (spec.optionalValue) {
      value = inlineValues.get(spec.name) ?? true
      const next = tokens[t + 1]
      if (value === true && next?.kind === "positional" && OPTIONAL_VALUE.test(next.value)) {
        value = next.value
        t++
      }
    }
    if (value === undefined) throw new UsageError(`--${spec.name} needs a value`, usage)
    if (spec.repeat && typeof value === "string") {
      const previous = flags.get(spec.name)
      flags.set(spec.name, [...(Array.isArray(previous) ? previous : []), value])
    } else {
      if (flags.has(spec.name)) throw new UsageError(`--${spec.name} given twice`, usage)
      flags.set(spec.name, value)
    }
  }
  for (const [name, value] of inlineValues) if (!flags.has(name)) flags.set(name, value)
  return { flags, positionals, rest }
}

const translate = (e: unknown, specs: ReadonlyArray<FlagSpec>, usage: string): unknown => {
  const code = (e as { code?: string }).code
  const message = e instanceof Error ? e.message : String(e)
  const option = optionIn(message)
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const known = specs.flatMap((s) => [`--${s.name}`, ...(s.short ? [`-${s.short}`] : [])])
    return new UsageError(`unknown option ${option}${didYouMean(option, known, (w) => w)}`, usage)
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (message.includes("does not take an argument")) return new UsageError(`${option} takes no value`, usage)
    if (message.includes("ambiguous")) {
      return new UsageError(`${option} needs a value (write ${option}=-… for a value that starts with "-")`, usage)
    }
    return new UsageError(`${option} needs a value`, usage)
  }
  return new UsageError(message.split("\n")[0], usage)
}

/** Typed accessors over ParsedArgs. */
export const flagBool = (args: ParsedArgs, name: string): boolean => args.flags.get(name) !== undefined
export const flagString = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.flags.get(name)
  return typeof v === "string" ? v : undefined
}
export const flagList = (args: ParsedArgs, name: string): ReadonlyArray<string> => {
  const v = args.flags.get(name)
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : []
}
