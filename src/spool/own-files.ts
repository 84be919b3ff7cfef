// What the spool and the wait shims' directories share: whose files are ours, and a removal that
// never throws (what it leaves, the next scan or start-up sweep removes).
import { rmSync } from "node:fs"

/** This process's uid (0 where there are none): spool entries and wait directories must be its. */
export const ownUid = (): number => (typeof process.getuid === "function" ? process.getuid() : 0)

/** Removes a file or directory tree; one already gone, or that cannot go now, is left to the next scan or start-up sweep. */
export const removeTree = (path: string): void => {
  try {
    rmSync(path, { recursive: true, force: true })
  } catch {
    // already gone, or not removable now
  }
}
