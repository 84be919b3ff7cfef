// A small argv parser (no dependencies): long flags with `--flag value` or `--flag=value`,
// short aliases, boolean flags, repeatable flags, positionals, and `--` for pass-through args.
import { UsageError } from "./errors"

export interface FlagSpec {
  /** Long name without dashes, e.g. "since-seq". */
  readonly name: string
  readonly short?: string
  readonly value?: boolean
  readonly repeat?: boolean
}

export interface ParsedArgs {
  /** Boolean flags map to `true`; value flags to their value(s). */
  readonly flags: ReadonlyMap<string, true | string | ReadonlyArray<string>>
  readonly positionals: ReadonlyArray<string>
  /** Everything after `--`, untouched. */
  readonly rest: ReadonlyArray<string> | undefined
}

export const parseArgv = (argv: ReadonlyArray<string>, specs: ReadonlyArray<FlagSpec>, usage: string): ParsedArgs => {
  const flags = new Map<string, true | string | string[]>()
  const positionals: string[] = []
  let rest: string[] | undefined
  const byLong = new Map(specs.map((s) => [s.name, s]))
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]))

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (token === "--") {
      rest = argv.slice(i + 1)
      break
    }
    let spec: FlagSpec | undefined
    let inline: string | undefined
    if (token.startsWith("--")) {
      const eq = token.indexOf("=")
      const name = eq < 0 ? token.slice(2) : token.slice(2, eq)
      inline = eq < 0 ? undefined : token.slice(eq + 1)
      spec = byLong.get(name)
      if (!spec) throw new UsageError(`unknown option --${name}`, usage)
    } else if (token.startsWith("-") && token.length > 1 && !/^-\d/.test(token)) {
      spec = byShort.get(token.slice(1))
      if (!spec) throw new UsageError(`unknown option ${token}`, usage)
    } else {
      positionals.push(token)
      continue
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`, usage)
      flags.set(spec.name, true)
      continue
    }
    let value = inline
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${spec.name} needs a value`, usage)
      value = argv[++i]
    }
    if (spec.repeat) {
      const previous = flags.get(spec.name)
      flags.set(spec.name, [...(Array.isArray(previous) ? previous : []), value])
    } else {
      if (flags.has(spec.name)) throw new UsageError(`--${spec.name} given twice`, usage)
      flags.set(spec.name, value)
    }
  }
  return { flags, positionals, rest }
}

/** Typed accessors over ParsedArgs. */
export const flagBool = (args: ParsedArgs, name: string): boolean => args.flags.get(name) === true
export const flagString = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.flags.get(name)
  return typeof v === "string" ? v : undefined
}
export const flagList = (args: ParsedArgs, name: string): ReadonlyArray<string> => {
  const v = args.flags.get(name)
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : []
}
