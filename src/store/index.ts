// Public surface of the per-repo store.
export * from "./errors"
export * from "./rows"
export { scrubEnv, isSecretName, withRequesterSecrets } from "./scrub"
export { MIGRATIONS_DIR, loadMigrations, newestVersion, type Migration } from "./migrations"
export { HOOKD_APPLICATION_ID } from "./header"
export type { RepoStore } from "./repo-store"
export { openRepoStore, clearStaleLock, type OpenRepoStoreArgs } from "./open"
export { Store, StoreLive } from "./service"
