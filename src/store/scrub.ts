// What never reaches env_json (SPEC §4). Scrubbing applies to what is persisted, never to what a
// job receives.

const SECRET_SUFFIXES = ["_TOKEN", "_SECRET", "_KEY", "_PASSWORD"] as const
const SECRET_NAMES = new Set(["TOKEN", "SECRET", "PASSWORD"])

/** True for names like `GH_TOKEN`, `aws_secret_key`, `PASSWORD` (case-insensitive). */
export const isSecretName = (name: string): boolean => {
  const upper = name.toUpperCase()
  return SECRET_NAMES.has(upper) || SECRET_SUFFIXES.some((suffix) => upper.endsWith(suffix))
}

/** A copy of `env` without the variables whose names look like secrets. */
export const scrubEnv = (env: Readonly<Record<string, string>>): Record<string, string> => {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) {
    if (!isSecretName(name)) kept[name] = value
  }
  return kept
}
