// The supervisor's side of its code cache (code-cache.ts): once start-up is done — so the cache
// holds what start-up compiled — the loader writes it, unless V8 took the one it was given.
import { Effect } from "effect"
import { logInfo, logWarn } from "../logging/event-log"
import { setFlagsFromString } from "node:v8"
import { codeCacheLink, endStartUpFlags } from "./code-cache"

/**
 * Undoes the loader's start-up-only V8 flags (code-cache.ts START_UP_FLAGS). Only after
 * saveCodeCache: the cache is keyed by the flags it was made with, those of the next start.
 */
export const endStartUp = Effect.suspend(() => logInfo("start_up_flags_ended", { v8_flags: endStartUpFlags(setFlagsFromString) }))

export const saveCodeCache = Effect.suspend(() => {
  const link = codeCacheLink()
  if (link === undefined) return Effect.void
  const saved = link.save()
  switch (saved._tag) {
    case "Kept":
      return Effect.void
    case "Written":
      return logInfo("code_cache_written", { was: link.status, path: saved.path, bytes: saved.bytes })
    case "Failed":
      // Only the next start is slower: it compiles the bundle from source again.
      return logWarn("code_cache_not_written", { was: link.status, path: saved.path, message: saved.message })
  }
})
