// What never reaches coordinator.db (SPEC §4, issue 14 item 10): variables with secret-looking
// names are dropped, and secret-looking values — credentials inside URLs, well-known token shapes —
// are masked in env_json and args_json. Scrubbing applies to what is persisted, never to what a
// job receives. Pure functions.

const SECRET_SUFFIXES = ["_TOKEN", "_SECRET", "_KEY", "_PASSWORD", "_PAT", "_PASS", "_CREDENTIALS", "_DSN"] as const
const SECRET_NAMES = new Set(["TOKEN", "SECRET", "PASSWORD"])

/** True for names like `GH_TOKEN`, `aws_secret_key`, `GITHUB_PAT`, `PASSWORD` (case-insensitive). */
export const isSecretName = (name: string): boolean => {
  const upper = name.toUpperCase()
  return SECRET_NAMES.has(upper) || SECRET_SUFFIXES.some((suffix) => upper.endsWith(suffix))
}

const MASK = "***"

// `scheme://user:password@` → `scheme://user:***@` (the user name stays: it says which account).
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]*):([^\s/@]+)@/gi

// Well-known token shapes; the prefix stays so a reader still sees which kind of token it was.
// A token must not continue a longer word (`myghp_…` is not one) and must be long enough to be real.
const TOKEN_SHAPES: ReadonlyArray<RegExp> = [
  /(?<![A-Za-z0-9_])(gh[pousr]_)[A-Za-z0-9]{30,}/g, // GitHub classic, OAuth, user, server, refresh
  /(?<![A-Za-z0-9_])(github_pat_)[A-Za-z0-9_]{22,}/g, // GitHub fine-grained PAT
  /(?<![A-Za-z0-9_])(glpat-)[A-Za-z0-9_-]{20,}/g, // GitLab PAT
  /(?<![A-Za-z0-9_])(xox[abprs]-)[A-Za-z0-9-]{10,}/g, // Slack bot/app/user tokens
  /(?<![A-Za-z0-9_])((?:AKIA|ASIA))[A-Z0-9]{16}(?![A-Za-z0-9])/g, // AWS access key ids
  /(?<![A-Za-z0-9_])(npm_)[A-Za-z0-9]{36}(?![A-Za-z0-9])/g // npm tokens
]

/** `value` with credentials in URLs and token-shaped substrings masked; idempotent. */
export const scrubValue = (value: string): string => {
  let out = value.replace(URL_CREDENTIALS, (_all, scheme: string, user: string, password: string) =>
    password === MASK ? _all : `${scheme}${user}:${MASK}@`
  )
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, (_all, prefix: string) => `${prefix}${MASK}`)
  return out
}

/** A copy of `env` without secret-named variables and with secret-looking values masked. */
export const scrubEnv = (env: Readonly<Record<string, string>>): Record<string, string> => {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (!isSecretName(name)) kept[name] = scrubValue(value)
  }
  return kept
}

/** The hook's arguments as they are stored (a remote URL may carry a password). */
export const scrubArgs = (args: ReadonlyArray<string>): string[] => args.map(scrubValue)

/**
 * For Retry: the stored env, with what scrubbing took away filled in from the requester's
 * environment — every secret-named variable, and the current value of each masked one.
 */
export const withRequesterSecrets = (
  stored: Readonly<Record<string, string>>,
  requester: Readonly<Record<string, string>>
): Record<string, string> => {
  const env: Record<string, string> = { ...stored }
  for (const [name, value] of Object.entries(requester)) {
    if (isSecretName(name)) env[name] = value
    else if (stored[name]?.includes(MASK)) env[name] = value
  }
  return env
}
