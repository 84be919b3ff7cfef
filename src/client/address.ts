// `<job>` on the command line: `name` or `inv-prefix:name` (SPEC §10) → JobAddress (SPEC §2).
import { JOB_NAME_PATTERN } from "../protocol/paths"
import type { JobAddress } from "../protocol/types"

/** An invocation prefix: 4–16 lowercase hex characters (the server checks it is unambiguous). */
export const INVOCATION_PREFIX_PATTERN = /^[0-9a-f]{4,16}$/

export type ParsedJobRef =
  | { readonly ok: true; readonly address: JobAddress }
  | { readonly ok: false; readonly message: string }

export const parseJobRef = (text: string, repoRoot: string): ParsedJobRef => {
  const colon = text.indexOf(":")
  const prefix = colon < 0 ? undefined : text.slice(0, colon).toLowerCase()
  const name = colon < 0 ? text : text.slice(colon + 1)
  if (prefix !== undefined && !INVOCATION_PREFIX_PATTERN.test(prefix)) {
    return { ok: false, message: `invalid invocation prefix "${text.slice(0, colon)}" (expected 4–16 hex characters)` }
  }
  if (!JOB_NAME_PATTERN.test(name)) {
    return { ok: false, message: `invalid job name "${name}" (expected letters, digits, '.', '_' or '-')` }
  }
  return {
    ok: true,
    address: prefix === undefined ? { repo_root: repoRoot, name } : { repo_root: repoRoot, invocation_prefix: prefix, name }
  }
}
