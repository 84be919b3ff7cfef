// Issue 13, rows "supervisor spawn → first answer" at three history sizes (empty / 100 repos × 100
// jobs / 49k jobs in one repo, seeded through the store API), "RSS after start with 49k jobs",
// and "`hookctl ls` on a repo with ≥ 18,500 jobs" — each against `node -e 0` in the same run.
import { spawnSync } from "node:child_process"
import { interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { median } from "./lib/timing.mjs"
import { mib, ms } from "./lib/report.mjs"
import { repoIdOf, seedManyRepos, seedRepo } from "./lib/seed.mjs"
import { HOOKCTL_BIN, makeGitRepo, makeSandbox, rssOf, startSupervisor } from "./lib/sandbox.mjs"
import { command } from "./lib/interleave.mjs"

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Spawn → first Welcome in ms (the row's figure); spawn → first Status answer goes to `statusTimes`
 * (the first answer that needs the whole supervisor, not the first stage). The supervisor is
 * stopped again (not timed).
 */
const timeStart = async (sandbox, statusTimes, warmup) => {
  const hookd = await startSupervisor(sandbox, { firstAnswer: true })
  await hookd.stop()
  if (!warmup) statusTimes.push(hookd.statusAt - hookd.spawnedAt)
  return hookd.answeredAt - hookd.spawnedAt
}

/** RSS once the supervisor settled after start, with the supervisor left running (returned). */
const settledRss = async (sandbox, settleMs) => {
  const hookd = await startSupervisor(sandbox, { firstAnswer: true })
  await sleep(settleMs)
  return { hookd, rss: rssOf(hookd.pid) }
}

export const benchStartHistory = async ({ report, sizes }) => {
  const { manyRepos, jobsPerRepo, bigRepoJobs } = sizes
  const empty = makeSandbox()
  const many = makeSandbox()
  const big = makeSandbox()
  const running = []
  try {
    const seedStart = performance.now()
    await seedManyRepos(many.env.HOOKD_STATE_DIR, manyRepos, jobsPerRepo)
    const bigRepo = makeGitRepo(big, "big")
    await seedRepo(big.env.HOOKD_STATE_DIR, { repoId: repoIdOf(bigRepo), root: bigRepo, jobs: bigRepoJobs })
    const seeded = `seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`
    report.section(`Supervisor start at three history sizes, interleaved with node -e 0 (${seeded})`)
    const histories = [
      ["empty state", empty],
      [`${manyRepos} repos × ${jobsPerRepo} jobs`, many],
      [`${bigRepoJobs} jobs in one repo`, big]
    ]
    const statusTimes = new Map(histories.map(([name]) => [name, []]))
    const r = await interleave(
      [
        { name: "node", run: nodeFloor(empty.env) },
        ...histories.map(([name, sandbox]) => ({ name, run: ({ warmup }) => timeStart(sandbox, statusTimes.get(name), warmup) }))
      ],
      { runs: sizes.startRuns, warmup: sizes.warmup, budgetMs: sizes.rowBudgetMs }
    )
    const floor = r.get("node").median
    report.row(`node -e 0 (median of ${r.rounds})`, ms(floor))
    for (const [name] of histories) {
      const t = r.get(name).median
      report.row(`spawn → first answer, ${name}`, ms(t), { vs: `${ratio(t, floor)} node -e 0`, target: "≤ 2.5× node floor", met: t <= 2.5 * floor })
    }
    // Not a row of the table: what `hookctl status` after an autostart waits for (the first stage
    // answers the handshake while the bundle loads; everything else waits for the supervisor).
    for (const [name] of histories) {
      const t = median(statusTimes.get(name))
      report.row(`spawn → first Status answer, ${name}`, ms(t), { vs: `${ratio(t, floor)} node -e 0` })
    }

    report.section(`RSS after start (${sizes.settleMs / 1000} s settled) and hookctl ls with ${bigRepoJobs} jobs`)
    const emptyRss = await settledRss(empty, sizes.settleMs)
    running.push(emptyRss.hookd)
    await emptyRss.hookd.stop()
    const bigRss = await settledRss(big, sizes.settleMs)
    running.push(bigRss.hookd)
    report.row("RSS after start, empty state", mib(emptyRss.rss))
    report.row(`RSS after start, ${bigRepoJobs} jobs in history`, mib(bigRss.rss), {
      vs: `empty + ${mib(bigRss.rss - emptyRss.rss)}`,
      target: "within 20 MB of empty-state idle",
      met: bigRss.rss - emptyRss.rss <= 20e6
    })
    // The listing must work at all before it is timed (the seed's answer exceeded the frame cap).
    const once = spawnSync(process.execPath, [HOOKCTL_BIN, "ls"], { cwd: bigRepo, env: big.env, encoding: "utf8", timeout: 60_000 })
    if (once.status !== 0) {
      report.row(`hookctl ls, repo with ${bigRepoJobs} jobs`, "fails", {
        note: (once.stderr || once.stdout).trim().split("\n")[0].slice(0, 120),
        target: "works; ≤ 1.3× node floor",
        met: false
      })
      return
    }
    const ls = await interleave(
      [{ name: "node", run: nodeFloor(big.env) }, { name: "ls", run: command(process.execPath, [HOOKCTL_BIN, "ls"], { cwd: bigRepo, env: big.env }) }],
      { runs: sizes.runs, warmup: sizes.warmup, budgetMs: sizes.rowBudgetMs }
    )
    const t = ls.get("ls").median
    report.row(`hookctl ls, repo with ${bigRepoJobs} jobs (median of ${ls.rounds})`, ms(t), {
      vs: `${ratio(t, ls.get("node").median)} node -e 0 (${ms(ls.get("node").median)})`,
      target: "works; ≤ 1.3× node floor",
      met: t <= 1.3 * ls.get("node").median
    })
  } finally {
    for (const hookd of running) await hookd.stop()
    for (const sandbox of [empty, many, big]) sandbox.cleanup()
  }
}
