// Issue 13, rows "idle RSS / after a 1,000-job burst / later" (beside pm2's daemon, started in the
// same run) and "disk per trivial job". A fresh supervisor (HOOKD_MAX_PARALLEL=8) in its own sandbox.
//   BENCH_RSS_WAIT_S=60  how long after the burst the last RSS is read (default 10 s; the issue says 60 s)
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { runToEnd } from "./lib/jobs.mjs"
import { getPm2 } from "./lib/peers.mjs"
import { mib } from "./lib/report.mjs"
import { manyJobs } from "./lib/requests.mjs"
import { makeGitRepo, makeSandbox, onExit, rssOf, startSupervisor } from "./lib/sandbox.mjs"

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** Bytes allocated on disk under `dir` (du -s: blocks, not apparent sizes — a 171-byte file costs a block). */
const diskBytes = (dir) => Number(execFileSync("du", ["-s", "-B1", dir], { encoding: "utf8" }).split("\t")[0])

/** pm2's God daemon in a PM2_HOME of its own: its RSS once settled, then `pm2 kill`. */
export const pm2DaemonRss = async (bin, settleMs) => {
  const sandbox = makeSandbox()
  const env = { ...sandbox.env, PM2_HOME: join(sandbox.dir, "pm2") }
  const kill = onExit(() => spawnSync(bin, ["kill"], { env, timeout: 30_000 }))
  try {
    const r = spawnSync(bin, ["ping"], { env, encoding: "utf8", timeout: 60_000 })
    if (r.status !== 0) throw new Error(`pm2 ping exited ${r.status}: ${r.stderr.trim().slice(0, 200)}`)
    const pidFile = join(env.PM2_HOME, "pm2.pid")
    let pid
    for (let i = 0; i < 100 && !(pid > 0 && existsSync(`/proc/${pid}`)); i++) {
      if (existsSync(pidFile)) pid = Number(readFileSync(pidFile, "utf8").trim())
      if (!(pid > 0)) await sleep(50)
    }
    await sleep(settleMs)
    const rss = rssOf(pid)
    if (rss === undefined) throw new Error(`no RSS for pm2's daemon (pid ${pid})`)
    return rss
  } finally {
    kill()
    sandbox.cleanup()
  }
}

export const benchMemory = async ({ report, sizes }) => {
  const count = sizes.jobs
  const waitS = sizes.rssWaitS
  report.section(`Memory and disk: a fresh supervisor, idle → ${count}-job burst (P=8) → ${waitS} s later; pm2's daemon`)
  const pm2 = getPm2()
  const pm2Rss = pm2.bin ? await pm2DaemonRss(pm2.bin, sizes.settleMs) : undefined
  // The disk figure is read with no supervisor running, its databases checkpointed and closed by
  // the graceful stop: a WAL that has not been checkpointed yet would count the same rows twice.
  const sandbox = makeSandbox({ HOOKD_MAX_PARALLEL: "8" })
  const stateDir = sandbox.env.HOOKD_STATE_DIR
  let hookd
  try {
    const repo = makeGitRepo(sandbox, "burst")
    hookd = await startSupervisor(sandbox)
    await runToEnd(sandbox.socket, repo, manyJobs(1)) // the repo's database exists before "before"
    await hookd.stop()
    const diskBefore = diskBytes(stateDir)
    hookd = await startSupervisor(sandbox)
    await sleep(sizes.settleMs)
    const idle = rssOf(hookd.pid)
    await runToEnd(sandbox.socket, repo, manyJobs(count))
    const afterBurst = rssOf(hookd.pid)
    await sleep(waitS * 1000)
    const later = rssOf(hookd.pid)
    await hookd.stop()
    const perJob = (diskBytes(stateDir) - diskBefore) / (count + 1)
    report.row(`idle RSS after start (${sizes.settleMs / 1000} s settled)`, mib(idle), {
      vs: pm2Rss !== undefined ? `pm2 daemon ${mib(pm2Rss)}` : undefined,
      target: "< pm2's daemon",
      met: pm2Rss !== undefined ? idle < pm2Rss : undefined
    })
    if (pm2Rss === undefined) report.skip("pm2 daemon RSS (peer)", pm2.skip)
    report.row(`RSS after the ${count}-job burst`, mib(afterBurst), { target: "< 150 MB", met: afterBurst < 150e6 })
    report.row(`RSS ${waitS} s later${waitS < 60 ? " (BENCH_RSS_WAIT_S=60: the issue's 60 s)" : ""}`, mib(later), {
      vs: `idle + ${mib(later - idle)}`,
      target: "within 20 MB of idle",
      met: later - idle <= 20e6
    })
    report.row("disk per trivial job (state dir, du -B1)", `${(perJob / 1024).toFixed(2)} KiB`, {
      note: "logs + database after a graceful stop, allocated blocks",
      target: "≤ 2 KB",
      met: perJob <= 2000
    })
  } finally {
    await hookd?.stop()
    sandbox.cleanup()
  }
}
