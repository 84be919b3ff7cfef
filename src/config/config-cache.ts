// The loaded, validated config of a worktree, kept between hook runs while none of the files it
// was read from changed (issue 13: a waited pre-commit read and parsed hookd.yml on every run).
// Only the file-derived value is kept: conditions, templates, git facts and env are resolved per
// request from it (jobs.ts).
import { statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { Effect } from "effect"
import type { ConfigInvalid } from "./errors"
import { CONFIG_FILE_NAMES, LOCAL_CONFIG_FILE_NAME } from "./file-names"
import type { LoadedConfig } from "./files"

/** Worktrees remembered at once; the least recently used is forgotten first. */
export const CONFIG_CACHE_ENTRIES = 64

/**
 * A file modified this recently may be modified again within the file system's timestamp
 * granularity (often a few ms, 2 s on FAT) without its mtime changing — the "racy" case git
 * knows too. Such a config is loaded again at every run until it is older than this.
 */
const RACY_WINDOW_NS = 2_000_000_000n

interface FileState {
  /** "-" for no regular file there; else dev, ino, size, mtime and ctime in ns. */
  readonly identity: string
  readonly mtimeNs: bigint
}

const stateOf = (path: string): FileState => {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false })
  if (s === undefined || !s.isFile()) return { identity: "-", mtimeNs: 0n }
  return { identity: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, mtimeNs: s.mtimeNs }
}

/**
 * Every file whose presence or content decides the config: each search name up to the first that
 * is a file (one appearing earlier in the order would win), and hookd-local.yml beside that one.
 */
const snapshot = (worktree: string): { readonly identity: string; readonly newestMtimeNs: bigint } => {
  const parts: string[] = []
  let newest = 0n
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(worktree, name)
    const state = stateOf(path)
    parts.push(state.identity)
    if (state.identity === "-") continue
    const local = stateOf(join(dirname(path), LOCAL_CONFIG_FILE_NAME))
    parts.push(local.identity)
    newest = state.mtimeNs > local.mtimeNs ? state.mtimeNs : local.mtimeNs
    break
  }
  return { identity: parts.join("|"), newestMtimeNs: newest }
}

const entries = new Map<string, { readonly identity: string; readonly loaded: LoadedConfig | undefined }>()

/**
 * `load(worktree)` unless the files it would read are the ones (same identity) of the remembered
 * load. A failed load is not remembered: its error is reported again, and a fix takes effect at once.
 */
export const cachedConfig = (
  worktree: string,
  load: (worktree: string) => Effect.Effect<LoadedConfig | undefined, ConfigInvalid>
): Effect.Effect<LoadedConfig | undefined, ConfigInvalid> =>
  Effect.suspend(() => {
    const key = resolve(worktree)
    // Stated before reading: a change during the load makes the next identity differ.
    const { identity, newestMtimeNs } = snapshot(key)
    const hit = entries.get(key)
    if (hit !== undefined && hit.identity === identity) {
      entries.delete(key)
      entries.set(key, hit)
      return Effect.succeed(hit.loaded)
    }
    entries.delete(key)
    const racy = newestMtimeNs >= BigInt(Date.now()) * 1_000_000n - RACY_WINDOW_NS
    return load(key).pipe(
      Effect.tap((loaded) =>
        Effect.sync(() => {
          if (racy) return
          entries.set(key, { identity, loaded })
          if (entries.size > CONFIG_CACHE_ENTRIES) entries.delete(entries.keys().next().value!)
        })
      )
    )
  })

/** For tests: how many worktrees are remembered. */
export const configCacheSize = (): number => entries.size
