// Loading the supervisor's bundle (dist/hookd.cjs) through a V8 code cache (issue 13, start-up).
// Compiling the 2 MB bundle is a good part of every start; V8 can instead deserialize the
// bytecode it compiled last time (vm.Script's cachedData). The cache is written once the
// supervisor has started up (so it holds the functions start-up compiled, not only the top level)
// and is keyed by the bundle's content hash, the node version and the architecture. V8 rejects a
// cache made by another V8 or with other flags itself; a rejected, unreadable or damaged cache
// costs one ordinary compile and is written again — never an error, never a crash.
// Effect-free: dist/hookd.mjs (loader.ts) is this plus the paths, so that it starts in no time.
import type * as Fs from "node:fs"
import type * as Vm from "node:vm"
import { dirname, join } from "node:path"
import { readWholeFile, readWholeTextFile } from "../store/whole-file"

/**
 * V8 flags the loader sets before the bundle is compiled, always. V8 keys a cache by a hash of its
 * flags, so a flag set later would make every cache written after it be rejected at the next start:
 * - --verify-snapshot-checksum: V8 checksums the caches it writes and checks that sum before
 *   deserializing one; without it a damaged cache file whose header is intact aborts the process
 *   inside V8 ("Fatal error … unreachable code").
 * - --liftoff-only: the store's SQLite WASM runs on the baseline compiler (connection.ts sets it on
 *   the first open, with the figures); here so that the flags never change after the compile.
 * - --expose-gc: the idle collection (idle-gc.ts) gets `gc` from a context of its own. Set at run
 *   time it gives no `gc` to the global object, which exists already.
 * - --optimize-for-size: V8 grows the heap less eagerly. RSS right after a 1,000-job burst 125 vs
 *   162 MiB, idle and jobs/s unchanged (bench figures in the commit that added it).
 */
export const CODE_CACHE_FLAGS = ["--verify-snapshot-checksum", "--liftoff-only", "--expose-gc", "--optimize-for-size"] as const

/**
 * V8 flags for the start-up only, set by the loader with CODE_CACHE_FLAGS (so they are part of the
 * cache's key: the cache is written before they are undone) and undone by endStartUpFlags once
 * the supervisor has started and written its cache. The optimizing compiler (TurboFan) and the
 * baseline one (Sparkplug) compiled the few functions start-up runs hot, for a start-up that is over
 * before their code pays: the compilers' own pages of node's binary and their zones stayed resident
 * in an idle supervisor (issue 13: idle RSS after start; figures in the commit). Jobs and requests
 * run with both, as before.
 */
export const START_UP_FLAGS = ["--no-turbofan", "--no-sparkplug"] as const
const AFTER_START_UP_FLAGS = ["--turbofan", "--sparkplug"] as const

/** Undoes START_UP_FLAGS (node:v8's setFlagsFromString given, to keep this file free of imports); the flags it set. */
export const endStartUpFlags = (setFlagsFromString: (flag: string) => void): ReadonlyArray<string> => {
  for (const flag of AFTER_START_UP_FLAGS) setFlagsFromString(flag)
  return AFTER_START_UP_FLAGS
}

/** How the bundle was compiled: from a cache V8 took, or from source (and why). */
export type CodeCacheStatus = "accepted" | "rejected" | "absent" | "unreadable" | "unsafe_dir"

/** What writing the cache did, for the supervisor's log. */
export type CodeCacheSave =
  | { readonly _tag: "Kept" }
  | { readonly _tag: "Written"; readonly path: string; readonly bytes: number }
  | { readonly _tag: "Failed"; readonly path: string; readonly message: string }

export interface CodeCacheLink {
  readonly status: CodeCacheStatus
  readonly path: string
  /** Writes the cache unless V8 accepted the one it was given. Never throws. */
  readonly save: () => CodeCacheSave
}

const LINK = Symbol.for("hookd.codeCache")

/** The supervisor's view of how it was loaded; undefined when it was not loaded by loader.ts (tests). */
export const codeCacheLink = (): CodeCacheLink | undefined => (globalThis as Record<symbol, CodeCacheLink | undefined>)[LINK]

const CACHE_SUFFIX = ".v8cache"

/** `hookd.cjs.<hash>.<node version>-<arch>.v8cache`: one file per build and node; a new build's replaces the old ones. */
export const codeCacheName = (bundleName: string, bundleHash: string, nodeVersion: string, arch: string): string =>
  `${bundleName}.${bundleHash}.${nodeVersion}-${arch}${CACHE_SUFFIX}`

/** Caches of other builds of the same bundle (any node), to be removed when this build's is written. */
export const isStaleCacheName = (name: string, bundleName: string, bundleHash: string): boolean =>
  name.startsWith(`${bundleName}.`) && name.endsWith(CACHE_SUFFIX) && !name.startsWith(`${bundleName}.${bundleHash}.`)

/**
 * Beside the bundle when this user may write there (one cache for every user of the checkout; the
 * cache is code, so it is trusted exactly as far as the bundle next to it), else in the user's own
 * state dir (a system-wide install) — but not from a `cache` directory that is not a directory,
 * another user's, or writable by group or others (code would be loaded from there): undefined.
 */
export const codeCacheDir = (fs: typeof Fs, bundle: string, stateDir: string): string | undefined => {
  try {
    fs.accessSync(dirname(bundle), fs.constants.W_OK)
    return dirname(bundle)
  } catch {
    // not ours to write: the state dir's
  }
  const dir = join(stateDir, "cache")
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false })
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined
  if (stat !== undefined && (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0)) return undefined
  return dir
}

// The bundle is CommonJS; this is Node's own module wrapper, on the bundle's first line so that
// line numbers in stack traces stay the bundle's.
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) { "
const WRAPPER_TAIL = "\n})"

const readCache = (fs: typeof Fs, path: string): { readonly data?: Uint8Array; readonly status?: CodeCacheStatus } => {
  try {
    const data = readWholeFile(fs, path) // not malloc'd: store/whole-file.ts
    // V8 takes an empty buffer as "no cache" without saying so: call it rejected, so it is rewritten.
    return data.length > 0 ? { data } : { status: "rejected" }
  } catch (e) {
    return { status: (e as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : "unreadable" }
  }
}

const writeCache = (fs: typeof Fs, path: string, data: Buffer, bundleName: string, bundleHash: string): void => {
  fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.${process.pid}.tmp`
  try {
    fs.writeFileSync(temp, data, { mode: 0o644 })
    fs.renameSync(temp, path)
  } finally {
    fs.rmSync(temp, { force: true })
  }
  for (const name of fs.readdirSync(dirname(path))) {
    if (isStaleCacheName(name, bundleName, bundleHash)) fs.rmSync(join(dirname(path), name), { force: true })
  }
}

export interface RunBundleOptions {
  readonly fs: typeof Fs
  readonly vm: typeof Vm
  /** Absolute path of the CommonJS bundle. */
  readonly bundle: string
  readonly bundleHash: string
  /** Undefined when there is no safe place for it (codeCacheDir): compiled from source, nothing written. */
  readonly cachePath: string | undefined
  /** The `require` the bundle gets (resolving from the bundle's directory). */
  readonly require: NodeJS.Require
}

/**
 * Compiles the bundle (with its cache when there is a usable one), publishes the link the
 * supervisor saves the cache through once started, and runs the bundle.
 */
export const runBundleWithCodeCache = (options: RunBundleOptions): void => {
  const { fs, vm, bundle, bundleHash, cachePath } = options
  const source = readWholeTextFile(fs, bundle) // not through malloc: store/whole-file.ts
  const cached = cachePath !== undefined ? readCache(fs, cachePath) : { status: "unsafe_dir" as const }
  const script = new vm.Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: bundle, ...(cached.data && { cachedData: cached.data }) })
  const status: CodeCacheStatus = cached.data === undefined ? (cached.status ?? "absent") : script.cachedDataRejected === true ? "rejected" : "accepted"
  let saved = false
  const save = (): CodeCacheSave => {
    if (status === "accepted" || saved || cachePath === undefined) return { _tag: "Kept" }
    saved = true
    try {
      const data = script.createCachedData()
      writeCache(fs, cachePath, data, bundleName(bundle), bundleHash)
      return { _tag: "Written", path: cachePath, bytes: data.length }
    } catch (e) {
      return { _tag: "Failed", path: cachePath, message: (e as Error).message }
    }
  }
  ;(globalThis as Record<symbol, CodeCacheLink>)[LINK] = { status, path: cachePath ?? "", save }
  const module = { exports: {} }
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void
  wrapper.call(module.exports, module.exports, options.require, module, bundle, dirname(bundle))
}

const bundleName = (bundle: string): string => bundle.slice(dirname(bundle).length + 1)
