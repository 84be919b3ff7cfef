// Fault: a repository directory hookd may not enter (chmod 000; issue 14 item 9). Root ignores
// permission bits, so when the suite runs as root the supervisor runs as a throwaway user (and the
// test skips with a message when it can be neither). The answer is REPO_UNAVAILABLE naming the
// directory and the chmod — not INTERNAL, not "clear stale lock failed: EACCES", and for `hookctl ls`
// and `prune` not an empty answer — other
// repositories keep working, and after the chmod the same supervisor serves the repository again.
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, readdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { repoDbPath } from "../../src/protocol/paths"
import { makeGitRepo } from "../support/git"
import { handOver, useThrowawayUser } from "../support/other-user"
import { HOOKCTL_BIN, makeSandbox, startSupervisor, type Sandbox } from "../support/supervisor"

// As root, hookd runs as a throwaway user (root may enter any directory), from a copy it can reach.
const other = useThrowawayUser()
let sandbox: Sandbox | undefined
afterEach(() => sandbox?.cleanup())

const CONFIG = "hooks:\n  pre-commit:\n    jobs:\n      - {name: check, run: 'true'}\n"

/** A repository whose pre-commit hook runs one job (what `hookctl run-hook` asks hookd to run). */
const repoWithConfig = (dir: string) => {
  const repo = makeGitRepo(dir)
  writeFileSync(join(repo, "hookd.yml"), CONFIG)
  return repo
}

/**
 * `hookctl run-hook pre-commit` in `cwd`, as the supervisor's user: hookctl refuses a socket
 * directory another user owns (issue 14 item 1), so when hookd runs as the throwaway user, so does hookctl.
 */
const hookctl = (box: Sandbox, cwd: string, as: { uid: number; gid: number } | undefined, args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, [other.install?.hookctl ?? HOOKCTL_BIN, ...args], { cwd, env: box.env, encoding: "utf8", ...(as ?? {}) })
const runHook = (box: Sandbox, cwd: string, as: { uid: number; gid: number } | undefined) => hookctl(box, cwd, as, ["run-hook", "pre-commit"])

describe("fault: a repository directory hookd may not enter", () => {
  it("answers REPO_UNAVAILABLE with the directory and the chmod; other repositories work; after the chmod it serves again", async () => {
    const box = (sandbox = makeSandbox())
    const repo = repoWithConfig(join(box.dir, "repo"))
    const healthy = repoWithConfig(join(box.dir, "healthy"))
    let as: { uid: number; gid: number } | undefined
    if (other.user !== undefined) as = handOver(box.dir, other.user)
    else chmodSync(box.dir, 0o700)

    let hookd = await startSupervisor(box, [], {}, as, other.install?.hookd)
    const first = runHook(box, repo, as)
    expect(first.status, first.stderr).toBe(0)
    await hookd.stopCleanly()
    // The only repository that has run (git, as root, would refuse the other user's repository).
    const [repoId] = readdirSync(join(box.stateDir, "repos"))
    const repoDir = dirname(repoDbPath(box.stateDir, repoId!))
    chmodSync(repoDir, 0o000)

    hookd = await startSupervisor(box, [], {}, as, other.install?.hookd)
    try {
      const refused = runHook(box, repo, as)
      expect(refused.status).not.toBe(0)
      expect(refused.stderr).toContain(`hookd cannot use ${repoDir}: permission denied (directory of yours, mode 0000); fix it with: chmod 700 ${repoDir}`)
      expect(refused.stderr).not.toMatch(/internal error|INTERNAL/)
      expect(hookd.output()).not.toMatch(/clear stale lock failed/)
      // Listing and pruning the repository say the same instead of finding nothing.
      for (const args of [["ls"], ["ls", "--json"], ["prune"], ["prune", "--dry-run"]]) {
        const r = hookctl(box, repo, as, args)
        expect(r.status, `hookctl ${args.join(" ")}: ${r.stdout}`).toBe(1)
        expect(r.stderr).toContain(`hookd cannot use ${repoDir}: permission denied (directory of yours, mode 0000); fix it with: chmod 700 ${repoDir}`)
      }
      const ok = runHook(box, healthy, as)
      expect(ok.status, ok.stderr).toBe(0)
      execFileSync("chmod", ["700", repoDir])
      const again = runHook(box, repo, as)
      expect(again.status, again.stderr).toBe(0)
    } finally {
      await hookd.stopCleanly()
    }
  })
})
