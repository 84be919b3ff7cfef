// Pure template rendering: the checked-in unit files and plist hold `@NAME@` placeholders. Each
// value arrives already escaped for the spot it goes into (see the escapers below). No I/O here.

export type TemplateValues = Readonly<Record<string, string>>

export class TemplateError extends Error {}

const PLACEHOLDER = /@([A-Z][A-Z0-9_]*)@/g

/** Replaces every `@NAME@`; a placeholder without a value is an error, never left in the output. */
export const renderTemplate = (template: string, values: TemplateValues): string =>
  template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name]
    if (value === undefined) throw new TemplateError(`template placeholder @${name}@ has no value`)
    return value
  })

/** The placeholders a template uses, in order of first appearance. */
export const placeholdersOf = (template: string): ReadonlyArray<string> => [
  ...new Set(Array.from(template.matchAll(PLACEHOLDER), (m) => m[1]))
]

const XML_ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" }

/** Text content of an XML element (the plist's <string> values). */
export const escapeXml = (value: string): string => value.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!)

const refuseControlCharacters = (value: string): string => {
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new TemplateError(`cannot put a control character into a unit file: ${JSON.stringify(value)}`)
  }
  return value
}

/**
 * Text inside a double-quoted systemd value (`Environment="NAME=…"`): `\` and `"` are
 * backslash-escaped and `%` is doubled so it is not read as a specifier (systemd.syntax(7) "Quoting").
 */
export const escapeSystemdQuoted = (value: string): string =>
  refuseControlCharacters(value).replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, "%%")

/** An argument inside a double-quoted word of `ExecStart=`: as above, and `$` doubled (no expansion). */
export const escapeSystemdExecArg = (value: string): string => escapeSystemdQuoted(value).replace(/\$/g, "$$$$")

/**
 * The program of `ExecStart=` (double-quoted in the template). systemd takes `$` literally there
 * but refuses quotes and backslashes in an executable's path outright ("Executable name contains
 * special characters"), so such a path is an error the user can act on, not a broken unit.
 */
export const escapeSystemdExecPath = (value: string): string => {
  if (/["'\\]/.test(value)) {
    throw new TemplateError(`systemd cannot run a program whose path contains a quote or a backslash: ${value}`)
  }
  return escapeSystemdQuoted(value)
}

/** Quotes a command line for display, so what is printed can be pasted into a shell. */
export const shellQuote = (argv: ReadonlyArray<string>): string =>
  argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ")
