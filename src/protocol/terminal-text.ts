// Text from elsewhere (repo paths, job names, server messages) must never drive the terminal
// (issue 14 item 11): a newline in a repo path broke `hookctl ls`'s table, and an ESC could
// repaint the screen or retitle the window. Every human-readable line hookctl prints passes its
// foreign parts through `terminalSafe`. A job's own output is the exception: it is printed as the
// job wrote it (colours included), like running the command by hand.

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e" }

// C0 controls, DEL, C1 controls, and the bidi overrides/isolates that reorder what is shown.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_EXCEPT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const escape = (char: string): string => {
  const named = NAMED[char]
  if (named !== undefined) return named
  const code = char.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
}

/**
 * `text` with every control character shown as a visible escape (`\n`, `\e`, `\x07`, `\u202e`).
 * `keepNewlines` is for messages hookctl itself wrote on several lines.
 */
export const terminalSafe = (text: string, options: { readonly keepNewlines?: boolean } = {}): string =>
  text.replace(options.keepNewlines === true ? UNSAFE_EXCEPT_NEWLINE : UNSAFE, escape)
