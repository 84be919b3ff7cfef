// The content identity of a file git cannot vouch for (modified or untracked): the object id git
// would give it (`blob <size>\0<bytes>` hashed with the repository's hash), so a file that is later
// committed unchanged keeps the same identity. A symlink is its target text, as git stores it.
import { createHash } from "node:crypto"
import { lstat, open, readFile, readlink } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"

export type ObjectHash = "sha1" | "sha256"

/** Git's object id of `bytes` as a blob. */
export const blobId = (hash: ObjectHash, bytes: Buffer): string =>
  createHash(hash).update(`blob ${bytes.length}\0`).update(bytes).digest("hex")

/** Up to this size a file is read in one call; larger ones are streamed (a lockfile is small, a glob may match a large file). */
const READ_WHOLE_BYTES = 4 * 1024 * 1024

/** Streams a regular file through the hash, sized from the same open descriptor. */
const hashRegularFile = async (hash: ObjectHash, path: string): Promise<string> => {
  const handle = await open(path, "r")
  try {
    const { size } = await handle.stat()
    const digest = createHash(hash).update(`blob ${size}\0`)
    for await (const chunk of handle.createReadStream({ start: 0, autoClose: false })) digest.update(chunk as Buffer)
    return digest.digest("hex")
  } finally {
    await handle.close()
  }
}

const errorCode = (e: unknown): string => (e as NodeJS.ErrnoException | undefined)?.code ?? "error"

/**
 * The identity of `worktree/path`: its blob id, `missing` when it does not exist (a tracked file
 * deleted in the worktree), `directory` for an untracked nested repository, or `unreadable:<code>`.
 * Never fails: every state is an identity, and a changed state changes the key.
 */
export const contentId = (worktree: string, path: string, hash: ObjectHash): Effect.Effect<string> =>
  Effect.promise(async () => {
    const full = join(worktree, path)
    try {
      const stat = await lstat(full)
      if (stat.isSymbolicLink()) return blobId(hash, await readlink(full, { encoding: "buffer" }))
      if (stat.isDirectory()) return "directory"
      return stat.size <= READ_WHOLE_BYTES ? blobId(hash, await readFile(full)) : await hashRegularFile(hash, full)
    } catch (e) {
      const code = errorCode(e)
      return code === "ENOENT" || code === "ENOTDIR" ? "missing" : `unreadable:${code}`
    }
  })
