// The supervisor's side of its code cache (code-cache.ts): once start-up is done — so the cache
// holds what start-up compiled — the loader writes it, unless V8 took the one it was given.
import { Effect } from "effect"
import { logInfo, logWarn } from "../logging/event-log"
import { codeCacheLink } from "./code-cache"

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
