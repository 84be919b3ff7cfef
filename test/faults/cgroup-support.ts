// The throwaway cgroup root of the cgroup fault tests (issue 14 item 7): created under the cgroup2
// mount for one test file (root only), and removed with whatever is left below it.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { cgroup2MountPoint } from "../../src/domain/cgroup-root"

/** The throwaway cgroup root, or why this machine cannot have one. */
export const prepareRoot = (): { readonly root: string } | { readonly skipped: string } => {
  if (process.platform !== "linux") return { skipped: "cgroups are Linux only" }
  if (process.getuid?.() !== 0) return { skipped: "needs root to create a cgroup under the cgroup2 mount" }
  const mount = cgroup2MountPoint(readFileSync("/proc/self/mounts", "utf8"))
  if (mount === undefined) return { skipped: "no cgroup2 filesystem is mounted" }
  const root = join(mount, `hookd-test-${process.pid}-${Date.now()}`)
  try {
    mkdirSync(root)
  } catch (e) {
    return { skipped: `cannot create a cgroup under ${mount}: ${(e as Error).message}` }
  }
  return { root }
}

/** The child cgroups of a cgroup (its other entries are the kernel's files). */
export const subdirs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)

/** Kills whatever is left below `dir` and removes the cgroups, deepest first. */
export const removeTree = (dir: string): void => {
  if (!existsSync(dir)) return
  for (const name of subdirs(dir)) removeTree(join(dir, name))
  try {
    writeFileSync(join(dir, "cgroup.kill"), "1")
  } catch {
    // nothing to kill, or the root's own cgroup.kill is absent
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      rmdirSync(dir)
      return
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EBUSY") throw e
      execFileSync("sleep", ["0.02"]) // the kernel is still tearing the killed processes down
    }
  }
}

