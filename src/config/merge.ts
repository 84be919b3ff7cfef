// hookd-local.yml on top of the committed config. Pure.
//
// The rule: maps merge key by key, recursively; a hook's `jobs` list merges by job `name` — a
// local job whose name exists in the base merges its keys into that job (in place, keeping its
// position), any other local job is appended; every other value (scalars, other lists such as
// `tags`, `needs`, `skip: [...]`) is replaced by the local one. Locations follow the values, so an
// error in a key that came from hookd-local.yml names hookd-local.yml and its line.
import type { ConfigPath, ParsedYaml } from "./yaml-source"

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isJobList = (path: ConfigPath): boolean => path.length === 3 && path[0] === "hooks" && path[2] === "jobs"

const jobName = (job: unknown): string | undefined =>
  isRecord(job) && typeof job.name === "string" ? job.name : undefined

export const mergeLocal = (base: ParsedYaml, local: ParsedYaml): ParsedYaml => {
  const locations = base.locations.copy()

  const replace = (localValue: unknown, mergedPath: ConfigPath, localPath: ConfigPath): unknown => {
    locations.dropSubtree(mergedPath)
    locations.graftSubtree(local.locations, localPath, mergedPath)
    return localValue
  }

  const merge = (baseValue: unknown, localValue: unknown, mergedPath: ConfigPath, localPath: ConfigPath): unknown => {
    if (isJobList(mergedPath) && Array.isArray(baseValue) && Array.isArray(localValue)) {
      const out = [...baseValue]
      // The first base job of each name, found once (not a search per local job).
      const indexOf = new Map<string, number>()
      baseValue.forEach((job, i) => {
        const name = jobName(job)
        if (name !== undefined && !indexOf.has(name)) indexOf.set(name, i)
      })
      localValue.forEach((localJob, localIndex) => {
        const name = jobName(localJob)
        const index = name === undefined ? -1 : (indexOf.get(name) ?? -1)
        if (index >= 0) {
          out[index] = merge(out[index], localJob, [...mergedPath, index], [...localPath, localIndex])
        } else {
          out.push(replace(localJob, [...mergedPath, out.length], [...localPath, localIndex]))
        }
      })
      return out
    }
    if (isRecord(baseValue) && isRecord(localValue)) {
      const out: Record<string, unknown> = { ...baseValue }
      for (const [key, value] of Object.entries(localValue)) {
        const merged = Object.hasOwn(baseValue, key)
          ? merge(baseValue[key], value, [...mergedPath, key], [...localPath, key])
          : replace(value, [...mergedPath, key], [...localPath, key])
        Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true })
      }
      return out
    }
    return replace(localValue, mergedPath, localPath)
  }

  const value = merge(base.value, local.value, [], [])
  return { value, locations }
}
