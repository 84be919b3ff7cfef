// The input cache end to end (issue 11): `git checkout` → the job's terminal state, for a job
// skipped as unchanged (`inputs:` with the same lockfile on both branches) and for a real run of
// `true`. The jobs are foreground, so git waits for them and a checkout's wall time includes
// reaching the terminal state. Used by bench/run.mjs; printed, never asserted.
import { installShims, timeCheckouts } from "./client-e2e.mjs"
import { requestOnce } from "./lib/framed-client.mjs"
import { makeGitRepo } from "./lib/sandbox.mjs"

const LOCKFILE = { "package-lock.json": '{"lockfileVersion":3}\n' }
const config = (extra) => ({
  "hookd.yml": `hooks:\n  post-checkout:\n    jobs:\n      - name: install\n        run: "true"\n${extra}`
})

/** Median checkout wall times: [cache hit, real run], with `node -e 0` alongside and a proof of the skips. */
export const measureInputCacheCheckouts = async (sandbox, pairs) => {
  const hit = makeGitRepo(sandbox, "inputs-hit", { ...LOCKFILE, ...config("        inputs: [package-lock.json]\n") })
  const real = makeGitRepo(sandbox, "inputs-real", { ...LOCKFILE, ...config("") })
  installShims(sandbox, hit)
  installShims(sandbox, real)
  const t = timeCheckouts(sandbox, [hit, real], pairs)
  // Proof: every checkout of `hit` but the very first (an unmeasured warm-up) was a cache hit.
  const { jobs } = await requestOnce(sandbox.socket, "ListJobs", { repo_root: hit }, "Jobs")
  const skipped = jobs.filter((j) => j.status === "skipped" && j.input_match !== null).length
  if (skipped !== t.checkouts - 1) throw new Error(`expected ${t.checkouts - 1} cache hits, found ${skipped}`)
  const [hitMs, realMs] = t.checkoutMs
  return { hitMs, realMs, nodeMs: t.nodeMs, hits: skipped }
}
