// Input keys against real git repositories: which files a pattern matches, where their identities
// come from (git's index for clean tracked files, the bytes for the rest), and what changes a key.
import { Effect } from "effect"
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { blobId, contentId } from "../../src/inputs/content-id"
import { computeInputKey, type InputKeyContext } from "../../src/inputs/input-key"
import { listInputFiles, parseListing } from "../../src/inputs/listing"
import type { JobSpec } from "../../src/protocol/types"
import { git, gitRepo, tempDir, writeFiles } from "../config/support"

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" }

const committed = (files: Record<string, string>): string => {
  const dir = gitRepo()
  writeFiles(dir, files)
  git(dir, "add", "-A")
  git(dir, "commit", "-q", "-m", "files")
  return dir
}

const list = (dir: string, patterns: string[]) => Effect.runPromise(listInputFiles(dir, patterns, env))

const context = (worktree: string, jobEnv: Record<string, string> = {}): InputKeyContext => ({
  worktree,
  gitEnv: env,
  jobEnv: (spec, name) => spec.env?.[name] ?? jobEnv[name],
  hashed: new Map(),
  listed: new Map()
})

const spec = (files: string[], extra: Partial<JobSpec> = {}): JobSpec => ({
  name: "install",
  run: "npm install",
  background: true,
  inputs: { files, env: [] },
  ...extra
})

const keyOf = async (dir: string, s: JobSpec, jobEnv: Record<string, string> = {}): Promise<string> => {
  const result = await Effect.runPromise(computeInputKey(context(dir, jobEnv), s))
  if ("failure" in result) throw new Error(result.failure)
  return result.key
}

describe("listing the files inputs match", () => {
  it("clean tracked matches carry git's index id and are not read", async () => {
    const dir = committed({ "package-lock.json": "{}\n", "src/a.c": "a\n" })
    const listing = await list(dir, ["package-lock.json"])
    expect(listing).toEqual({
      clean: new Map([["package-lock.json", git(dir, "rev-parse", "HEAD:package-lock.json").trim()]]),
      dirty: [],
      oidHexLength: 40
    })
  })

  it("globs follow git's :(glob) pathspecs: * within a directory, ** across, a directory matches its files", async () => {
    const dir = committed({ "top.proto": "t", "a/b/deep.proto": "d", "a/x.txt": "x", "src/f.c": "f", "src/g/h.c": "h" })
    const paths = async (patterns: string[]) => {
      const l = await list(dir, patterns)
      if ("failure" in l) throw new Error(l.failure)
      return [...l.clean.keys()].sort()
    }
    expect(await paths(["*.proto"])).toEqual(["top.proto"])
    expect(await paths(["**/*.proto"])).toEqual(["a/b/deep.proto", "top.proto"])
    expect(await paths(["src"])).toEqual(["src/f.c", "src/g/h.c"])
    expect(await paths(["src/*"])).toEqual(["src/f.c"])
    expect(await paths(["nothing-here"])).toEqual([])
  })

  it("modified, deleted and untracked (not ignored) matches are dirty; ignored files are not listed", async () => {
    const dir = committed({ "a.proto": "a", "b.proto": "b", "c.proto": "c", ".gitignore": "ignored.proto\n" })
    writeFileSync(join(dir, "a.proto"), "changed")
    rmSync(join(dir, "b.proto"))
    writeFiles(dir, { "new.proto": "n", "ignored.proto": "i", "sub/new2.proto": "n2" })
    const listing = await list(dir, ["**/*.proto"])
    if ("failure" in listing) throw new Error(listing.failure)
    expect(listing.dirty).toEqual(["a.proto", "b.proto", "new.proto", "sub/new2.proto"])
    expect([...listing.clean.keys()]).toEqual(["c.proto"])
  })

  it("a file touched but not changed stays clean (git compares content, not just mtime)", async () => {
    const dir = committed({ "package-lock.json": "{}\n" })
    writeFileSync(join(dir, "package-lock.json"), "{}\n")
    const listing = await list(dir, ["package-lock.json"])
    expect(listing).toMatchObject({ dirty: [] })
  })

  it("outside a git worktree the listing fails with git's message", async () => {
    const listing = await list(tempDir(), ["a"])
    expect(listing).toMatchObject({ failure: expect.stringMatching(/git ls-files failed \(exit 128\): fatal: not a git repository/) })
  })

  it("no patterns match nothing (git would list everything for an empty pathspec)", async () => {
    const dir = committed({ "a": "a" })
    expect(await list(dir, [])).toEqual({ clean: new Map(), dirty: [], oidHexLength: undefined })
  })
})

describe("parseListing", () => {
  const oid = "1a9cc2b7fbfa834924f4c03780d767ccbecf0c9c"
  it.each<[string, string, ReturnType<typeof parseListing>]>([
    ["cached", `H 100644 ${oid} 0\tx.proto\0`, { clean: new Map([["x.proto", oid]]), dirty: [], oidHexLength: 40 }],
    ["cached and changed", `H 100644 ${oid} 0\tx\0C 100644 ${oid} 0\tx\0`, { clean: new Map(), dirty: ["x"], oidHexLength: 40 }],
    ["skip-worktree keeps its index id", `S 100644 ${oid} 0\tx\0`, { clean: new Map([["x", oid]]), dirty: [], oidHexLength: 40 }],
    [
      "unmerged stages are dirty",
      `M 100644 ${oid} 1\tx\0M 100644 ${oid} 2\tx\0M 100644 ${oid} 3\tx\0`,
      { clean: new Map(), dirty: ["x"], oidHexLength: 40 }
    ],
    [
      "a changed submodule keeps its index id (its worktree is another repository)",
      `H 160000 ${oid} 0\tsub\0C 160000 ${oid} 0\tsub\0`,
      { clean: new Map([["sub", oid]]), dirty: [], oidHexLength: 40 }
    ],
    ["untracked", "? new file.txt\0", { clean: new Map(), dirty: ["new file.txt"], oidHexLength: undefined }],
    ["a path with a tab and newline", `H 100644 ${oid} 0\ta\tb\nc\0`, { clean: new Map([["a\tb\nc", oid]]), dirty: [], oidHexLength: 40 }],
    ["sha256 ids", `H 100644 ${"a".repeat(64)} 0\tx\0`, { clean: new Map([["x", "a".repeat(64)]]), dirty: [], oidHexLength: 64 }],
    ["garbage", "what is this\0", { failure: 'unexpected git ls-files output: "what is this"' }],
    ["an unknown tag", `K 100644 ${oid} 0\tx\0`, { failure: 'unexpected git ls-files tag "K"' }]
  ])("%s", (_label, output, expected) => {
    expect(parseListing(output)).toEqual(expected)
  })
})

describe("content identities of files git cannot vouch for", () => {
  it("a file's identity is the blob id git gives it, so committing it unchanged keeps it", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "new.txt": "some content\n" })
    const id = await Effect.runPromise(contentId(dir, "new.txt", "sha1"))
    expect(id).toBe(git(dir, "hash-object", "new.txt").trim())
    expect(blobId("sha1", Buffer.from("some content\n"))).toBe(id)
  })

  it("a file too large to read in one call is streamed, to the same blob id", async () => {
    const dir = gitRepo()
    writeFileSync(join(dir, "big.bin"), Buffer.alloc(5 * 1024 * 1024 + 7, "x"))
    expect(await Effect.runPromise(contentId(dir, "big.bin", "sha1"))).toBe(git(dir, "hash-object", "big.bin").trim())
  })

  it("a symlink is its target text (as git stores it); a missing file, a directory and an unreadable file have their own identities", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "target.txt": "t" })
    symlinkSync("target.txt", join(dir, "link"))
    mkdirSync(join(dir, "nested"))
    writeFiles(dir, { "locked.txt": "secret" })
    chmodSync(join(dir, "locked.txt"), 0o000)
    const id = (path: string) => Effect.runPromise(contentId(dir, path, "sha1"))
    expect(await id("link")).toBe(blobId("sha1", Buffer.from("target.txt")))
    expect(await id("gone")).toBe("missing")
    expect(await id("nested")).toBe("directory")
    if (process.getuid?.() !== 0) expect(await id("locked.txt")).toBe("unreadable:EACCES")
  })
})

describe("computeInputKey", () => {
  it("is the same for the same state, and the same in another clone with the same files", async () => {
    const a = committed({ "package-lock.json": "{\"v\":1}\n" })
    const b = committed({ "package-lock.json": "{\"v\":1}\n", "unrelated.txt": "x" })
    expect(await keyOf(a, spec(["package-lock.json"]))).toBe(await keyOf(a, spec(["package-lock.json"])))
    expect(await keyOf(a, spec(["package-lock.json"]))).toBe(await keyOf(b, spec(["package-lock.json"])))
  })

  it("a modified but uncommitted lockfile changes it; reverting the change restores it", async () => {
    const dir = committed({ "package-lock.json": "{\"v\":1}\n" })
    const before = await keyOf(dir, spec(["package-lock.json"]))
    writeFileSync(join(dir, "package-lock.json"), "{\"v\":2}\n")
    const modified = await keyOf(dir, spec(["package-lock.json"]))
    expect(modified).not.toBe(before)
    writeFileSync(join(dir, "package-lock.json"), "{\"v\":1}\n")
    expect(await keyOf(dir, spec(["package-lock.json"]))).toBe(before)
  })

  it("committing a modified file unchanged keeps the key (the hashed id is git's id)", async () => {
    const dir = committed({ "package-lock.json": "{\"v\":1}\n" })
    writeFileSync(join(dir, "package-lock.json"), "{\"v\":2}\n")
    const modified = await keyOf(dir, spec(["package-lock.json"]))
    git(dir, "commit", "-q", "-am", "bump")
    expect(await keyOf(dir, spec(["package-lock.json"]))).toBe(modified)
  })

  it("an untracked file matched by a glob counts; one outside the glob does not", async () => {
    const dir = committed({ "proto/a.proto": "a" })
    const before = await keyOf(dir, spec(["proto/**/*.proto"]))
    writeFiles(dir, { "proto/other.txt": "not a proto" })
    expect(await keyOf(dir, spec(["proto/**/*.proto"]))).toBe(before)
    writeFiles(dir, { "proto/sub/new.proto": "b" })
    expect(await keyOf(dir, spec(["proto/**/*.proto"]))).not.toBe(before)
  })

  it("the command text, the cwd and a listed env value each change it; an unlisted env value does not", async () => {
    const dir = committed({ "package-lock.json": "{}\n" })
    const withEnv = spec(["package-lock.json"], { inputs: { files: ["package-lock.json"], env: ["NODE_VERSION"] } })
    const base = await keyOf(dir, withEnv, { NODE_VERSION: "20", OTHER: "1" })
    expect(await keyOf(dir, withEnv, { NODE_VERSION: "20", OTHER: "2" })).toBe(base)
    expect(await keyOf(dir, withEnv, { NODE_VERSION: "22", OTHER: "1" })).not.toBe(base)
    expect(await keyOf(dir, { ...withEnv, run: "npm ci" }, { NODE_VERSION: "20" })).not.toBe(base)
    expect(await keyOf(dir, { ...withEnv, cwd: "web" }, { NODE_VERSION: "20" })).not.toBe(base)
    // The job's own env wins over the hook's, as when it runs.
    expect(await keyOf(dir, { ...withEnv, env: { NODE_VERSION: "22" } }, { NODE_VERSION: "20" })).toBe(
      await keyOf(dir, withEnv, { NODE_VERSION: "22" })
    )
  })

  it("a file two jobs list is hashed once per invocation", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "untracked.lock": "u" })
    const ctx = context(dir)
    await Effect.runPromise(computeInputKey(ctx, spec(["untracked.lock"])))
    expect([...ctx.hashed.entries()]).toEqual([["sha1:untracked.lock", blobId("sha1", Buffer.from("u"))]])
    // A planted wrong identity is what the second job sees: it was not read again.
    ctx.hashed.set("sha1:untracked.lock", "planted")
    const second = await Effect.runPromise(computeInputKey(ctx, spec(["untracked.lock"], { name: "other" })))
    const fresh = await keyOf(dir, spec(["untracked.lock"], { name: "other" }))
    expect(second).not.toEqual({ key: fresh })
  })

  it("jobs listing the same patterns share one git listing per invocation", async () => {
    const dir = committed({ "package-lock.json": "{}\n" })
    const ctx = context(dir)
    const first = await Effect.runPromise(computeInputKey(ctx, spec(["package-lock.json"])))
    expect([...ctx.listed.keys()]).toEqual(['["package-lock.json"]'])
    // The listing is taken from the memo: a planted empty one gives the key of no files at all.
    ctx.listed.set('["package-lock.json"]', { clean: new Map(), dirty: [], oidHexLength: undefined })
    const second = await Effect.runPromise(computeInputKey(ctx, spec(["package-lock.json"])))
    expect(second).not.toEqual(first)
    expect(second).toEqual(await Effect.runPromise(computeInputKey(context(dir), spec(["nothing-matches"]))))
  })

  it("outside a git worktree there is no key, and the failure says why", async () => {
    const result = await Effect.runPromise(computeInputKey(context(tempDir()), spec(["a"])))
    expect(result).toMatchObject({ failure: expect.stringContaining("not a git repository") })
  })

  it("a deleted tracked input changes the key", async () => {
    const dir = committed({ "package-lock.json": "{}\n" })
    const before = await keyOf(dir, spec(["package-lock.json"]))
    rmSync(join(dir, "package-lock.json"))
    expect(await keyOf(dir, spec(["package-lock.json"]))).not.toBe(before)
  })
})
