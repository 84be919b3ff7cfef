// Issue 13, rows "time a background-only post-checkout hook adds to `git checkout`" and "time a
// waited pre-commit hook (`true`) adds to `git commit`": real git in three repos — no hook, hookd's
// installed shims, lefthook (its native binary, LEFTHOOK_BIN) running the same command — and
// `node -e 0`, interleaved. The extra time is a hook repo's median minus the no-hook repo's.
import { spawnSync } from "node:child_process"
import { utimesSync } from "node:fs"
import { join } from "node:path"
import { installShims } from "./client-e2e.mjs"
import { requestOnce } from "./lib/framed-client.mjs"
import { interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { getLefthook } from "./lib/peers.mjs"
import { ms } from "./lib/report.mjs"
import { makeGitRepo } from "./lib/sandbox.mjs"
import { timeOnce } from "./lib/timing.mjs"

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const hookdConfig = (hook, background) =>
  `hooks:\n  ${hook}:\n    jobs:\n      - name: quick\n        run: "true"\n        background: ${background}\n`
const lefthookConfig = (hook, run) => `${hook}:\n  commands:\n    quick:\n      run: ${JSON.stringify(run)}\n`

/** Two checkouts (to a branch and back), each firing post-checkout: wall ms per checkout. */
export const checkoutTwice = (repo, env) =>
  (timeOnce("git", ["checkout", "-q", "-B", "bench"], { cwd: repo, env }) + timeOnce("git", ["checkout", "-q", "main"], { cwd: repo, env })) / 2

/** Three repos for `hook`: no hook, hookd's shims, lefthook (skipped when it cannot be had). */
const makeRepos = (sandbox, hook, { background, lefthookRun }) => {
  const lefthook = getLefthook()
  const bare = makeGitRepo(sandbox, `${hook}-none`)
  const hookd = makeGitRepo(sandbox, `${hook}-hookd`, { "hookd.yml": hookdConfig(hook, background) })
  // A config as old as a real one: the supervisor reads a file modified in the last 2 s at every
  // run (its mtime may not change at the next edit), which a real hookd.yml seldom is.
  const hourAgo = Date.now() / 1000 - 3600
  utimesSync(join(hookd, "hookd.yml"), hourAgo, hourAgo)
  installShims(sandbox, hookd)
  let lh
  if (lefthook.bin) {
    lh = makeGitRepo(sandbox, `${hook}-lefthook`, { "lefthook.yml": lefthookConfig(hook, lefthookRun) })
    const r = spawnSync(lefthook.bin, ["install"], { cwd: lh, env: sandbox.env, encoding: "utf8", timeout: 30_000 })
    if (r.status !== 0) throw new Error(`lefthook install exited ${r.status}: ${r.stderr.trim()}`)
  }
  return { bare, hookd, lefthook: lh, lefthookSkip: lefthook.skip, env: { ...sandbox.env, LEFTHOOK_BIN: lefthook.bin ?? "" } }
}

/** Rows recorded for `hook` in `repo`, waiting up to 10 s for background ones still arriving. */
const recordedRuns = async (sandbox, repo, hook, expected) => {
  let total = 0
  for (let i = 0; i < 200; i++) {
    total = (await requestOnce(sandbox.socket, "ListJobs", { repo_root: repo, hook, limit: 1 }, "Jobs")).total
    if (total >= expected) break
    await sleep(50)
  }
  return total
}

/** Interleaves node -e 0 and one git operation in each repo; prints the rows. */
const compare = async ({ report, sizes }, sandbox, { hook, repos, operation, what, target, proof }) => {
  const variants = [
    { name: "node", run: nodeFloor(repos.env) },
    { name: "none", run: () => operation(repos.bare) },
    { name: "hookd", run: () => operation(repos.hookd) },
    { name: "lefthook", skip: repos.lefthookSkip, run: () => operation(repos.lefthook) }
  ]
  const r = await interleave(variants, { runs: sizes.gitRuns, warmup: sizes.warmup, budgetMs: sizes.rowBudgetMs })
  const [floor, none, hookd, lefthook] = ["node", "none", "hookd", "lefthook"].map((k) => r.get(k).median)
  const recorded = await recordedRuns(sandbox, repos.hookd, hook, proof(r.rounds + sizes.warmup))
  report.row(`${what}, no hook (median of ${r.rounds})`, ms(none), { vs: `node -e 0 alongside: ${ms(floor)}` })
  const extra = hookd - none
  const lefthookExtra = lefthook === undefined ? undefined : lefthook - none
  report.row(`  + hookd ${hook}`, `+${ms(extra)}`, {
    vs: [`${ratio(extra, floor)} node -e 0`, lefthookExtra !== undefined ? `${ratio(extra, lefthookExtra)} lefthook's` : undefined]
      .filter(Boolean)
      .join(", "),
    note: `(${recorded} jobs recorded for ${proof(r.rounds + sizes.warmup)} hook runs)`,
    target: target.text,
    met: target.met(extra, floor, lefthookExtra)
  })
  if (lefthookExtra === undefined) report.skip(`  + lefthook ${hook} (peer)`, repos.lefthookSkip)
  else report.row(`  + lefthook ${hook} (peer)`, `+${ms(lefthookExtra)}`, { vs: `${ratio(lefthookExtra, floor)} node -e 0` })
}

export const benchGitHooks = async (ctx, sandbox) => {
  const { report } = ctx
  report.section("git checkout with a background-only post-checkout hook, interleaved with node -e 0")
  const checkoutRepos = makeRepos(sandbox, "post-checkout", { background: true, lefthookRun: "true >/dev/null 2>&1 &" })
  const checkout = (repo) => checkoutTwice(repo, checkoutRepos.env)
  await compare(ctx, sandbox, {
    hook: "post-checkout",
    repos: checkoutRepos,
    operation: checkout,
    what: "git checkout",
    proof: (runs) => 2 * runs,
    target: { text: "≤ lefthook's", met: (extra, _floor, lh) => (lh === undefined ? undefined : extra <= lh) }
  })

  report.section("git commit with a waited pre-commit hook (`true`), interleaved with node -e 0")
  const commitRepos = makeRepos(sandbox, "pre-commit", { background: false, lefthookRun: "true" })
  const commit = (repo) => timeOnce("git", ["commit", "-q", "--allow-empty", "-m", "bench"], { cwd: repo, env: commitRepos.env })
  await compare(ctx, sandbox, {
    hook: "pre-commit",
    repos: commitRepos,
    operation: commit,
    what: "git commit",
    proof: (runs) => runs,
    target: { text: "≤ 1.3× node floor", met: (extra, floor) => extra <= 1.3 * floor }
  })
}
