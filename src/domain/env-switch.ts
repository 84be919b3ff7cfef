// How hookd reads an on/off environment variable (conditions' `{env: NAME}`, HOOKD_FORCE). Pure.

/** Set, non-empty, and not `0` or `false` (any case). */
export const isTruthyEnv = (env: Readonly<Record<string, string>>, name: string): boolean => {
  const value = Object.hasOwn(env, name) ? env[name] : undefined
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false"
}
