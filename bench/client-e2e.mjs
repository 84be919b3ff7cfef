// Client benchmarks (issue 4) against a real supervisor in a sandbox: hookctl wall times, and the
// time an installed shim adds to `git checkout`. Each figure is measured interleaved with
// `node -e 0`, so its ratio holds even when the shared machine's load changes. Used by bench/run.mjs.
import { spawnSync } from "node:child_process"
import { requestOnce } from "./lib/framed-client.mjs"
import { HOOKCTL_BIN } from "./lib/sandbox.mjs"
import { BARE_NODE, interleavedMedians, median, timeOnce } from "./lib/timing.mjs"

/** Median wall time of `node bin/hookctl <args>` run in `cwd`, and of `node -e 0` alongside. */
export const timeHookctl = (sandbox, cwd, args, runs) => {
  const [nodeMs, hookctlMs] = interleavedMedians(
    [{ ...BARE_NODE, env: sandbox.env }, { command: process.execPath, args: [HOOKCTL_BIN, ...args], cwd, env: sandbox.env }],
    { runs }
  )
  return { nodeMs, hookctlMs }
}

export const installShims = (sandbox, repo) => {
  const r = spawnSync(process.execPath, [HOOKCTL_BIN, "hooks", "install"], {
    cwd: repo,
    env: sandbox.env,
    encoding: "utf8",
    timeout: 30_000
  })
  if (r.status !== 0) throw new Error(`hookctl hooks install exited ${r.status}: ${(r.stderr || r.stdout).trim()}`)
}

/**
 * Median wall time of one `git checkout` in each repo, alternating `checkout -q -B bench` and
 * `checkout -q main` (each fires post-checkout): in every round one `node -e 0`, then a pair of
 * checkouts in each repo in turn. One unmeasured round first. Returns the medians and how many
 * checkouts each repo saw.
 */
export const timeCheckouts = (sandbox, repos, pairs) => {
  const nodeSamples = []
  const samples = repos.map(() => [])
  const checkout = (repo, args) => timeOnce("git", ["checkout", "-q", ...args], { cwd: repo, env: sandbox.env })
  for (let i = 0; i < pairs + 1; i++) {
    const nodeMs = timeOnce(BARE_NODE.command, BARE_NODE.args, { env: sandbox.env })
    if (i > 0) nodeSamples.push(nodeMs)
    repos.forEach((repo, k) => {
      const a = checkout(repo, ["-B", "bench"])
      const b = checkout(repo, ["main"])
      if (i > 0) samples[k].push(a, b)
    })
  }
  return { nodeMs: median(nodeSamples), checkoutMs: samples.map(median), checkouts: 2 * (pairs + 1) }
}

/** How many post-checkout jobs the supervisor recorded for `repo`. */
export const recordedHookRuns = async (sandbox, repo) => {
  const { jobs } = await requestOnce(sandbox.socket, "ListJobs", { repo_root: repo, hook: "post-checkout" }, "Jobs")
  return jobs.length
}
