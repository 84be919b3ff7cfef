// A small tmpfs, to fill a disk for real (issue 14: a full disk must not break the supervisor).
// Mounting needs root; elsewhere `mountTmpfs` answers why not, and the test skips saying so.
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Tmpfs {
  readonly dir: string
  /** Writes a file that takes all the space left (it stops at ENOSPC); remove it to free the space. */
  readonly fill: (name?: string) => string
  readonly unmount: () => void
}

/** Mounts a tmpfs of `sizeMiB` on a fresh temp dir, or says why it cannot. */
export const mountTmpfs = (sizeMiB: number): Tmpfs | { readonly skipped: string } => {
  if (process.getuid?.() !== 0) return { skipped: "mounting a tmpfs needs root; run the suite as root to cover a full disk" }
  const dir = mkdtempSync(join(tmpdir(), "hookd-tmpfs-"))
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    return { skipped: `cannot mount a tmpfs (${(e as Error).message.split("\n")[0]}); a full disk is not covered here` }
  }
  return {
    dir,
    fill: (name = "filler") => {
      const path = join(dir, name)
      const chunk = Buffer.alloc(1024 * 1024, 0x78)
      writeFileSync(path, "")
      // Big chunks first, then small ones, until not even one byte fits.
      for (const size of [chunk.length, 4096, 1]) {
        try {
          for (;;) writeFileSync(path, chunk.subarray(0, size), { flag: "a" })
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e
        }
      }
      return path
    },
    unmount: () => {
      try {
        execFileSync("umount", ["-l", dir], { stdio: "pipe" })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
