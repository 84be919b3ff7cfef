// The input cache end to end (issue 11): `git checkout` → the job's terminal state, for a job
// skipped as unchanged (`inputs:` with the same lockfile on both branches) and for a real run of
// `true`. The jobs are foreground, so git waits for them and a checkout's wall time includes
// reaching the terminal state. Used by bench/run.mjs; printed, never asserted.
import { installShims } from "./client-e2e.mjs"
import { checkoutTwice } from "./hooks-git.mjs"
import { requestOnce } from "./lib/framed-client.mjs"
import { interleave, nodeFloor } from "./lib/interleave.mjs"
import { makeGitRepo } from "./lib/sandbox.mjs"

const LOCKFILE = { "package-lock.json": '{"lockfileVersion":3}\n' }
const config = (extra) => ({
  "hookd.yml": `hooks:\n  post-checkout:\n    jobs:\n      - name: install\n        run: "true"\n${extra}`
})

/** Median checkout wall times: cache hit, real run, with `node -e 0` alongside and a proof of the skips. */
export const measureInputCacheCheckouts = async (sandbox, { runs, warmup, budgetMs }) => {
  const hit = makeGitRepo(sandbox, "inputs-hit", { ...LOCKFILE, ...config("        inputs: [package-lock.json]\n") })
  const real = makeGitRepo(sandbox, "inputs-real", { ...LOCKFILE, ...config("") })
  installShims(sandbox, hit)
  installShims(sandbox, real)
  // One checkout of `hit` first: the run that the later ones match.
  checkoutTwice(hit, sandbox.env)
  const r = await interleave(
    [
      { name: "node", run: nodeFloor(sandbox.env) },
      { name: "hit", run: () => checkoutTwice(hit, sandbox.env) },
      { name: "real", run: () => checkoutTwice(real, sandbox.env) }
    ],
    { runs, warmup, budgetMs }
  )
  const checkouts = 2 * (1 + warmup + r.rounds)
  // Proof: every checkout of `hit` but the very first was a cache hit.
  const { jobs } = await requestOnce(sandbox.socket, "ListJobs", { repo_root: hit }, "Jobs")
  const skipped = jobs.filter((j) => j.status === "skipped" && j.input_match !== null).length
  if (skipped !== checkouts - 1) throw new Error(`expected ${checkouts - 1} cache hits, found ${skipped}`)
  return { hitMs: r.get("hit").median, realMs: r.get("real").median, nodeMs: r.get("node").median, hits: skipped, rounds: r.rounds }
}
