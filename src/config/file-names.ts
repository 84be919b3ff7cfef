// Where hookd.yml is looked for. Shared by the supervisor's loader and hookctl (which reads the
// config only when the supervisor cannot), so this module must not import `effect`.

/** Searched in the worktree root in this order; the first that exists wins. */
export const CONFIG_FILE_NAMES = ["hookd.yml", "hookd.yaml", ".hookd.yml", ".hookd.yaml", ".config/hookd.yml"] as const

/** Merged on top of the config file found, from the same directory. */
export const LOCAL_CONFIG_FILE_NAME = "hookd-local.yml"
