// Client benchmarks against a real supervisor in a sandbox: `hookctl --version`, `status` and `ls`
// of a repo with 1,000 jobs (issue 13's targets ≤ 1.15× / 1.2× / 1.25× node), each interleaved
// with `node -e 0`. Also the helpers the git benchmarks share. Used by bench/run.mjs.
import { spawnSync } from "node:child_process"
import { command, interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { ms } from "./lib/report.mjs"
import { HOOKCTL_BIN } from "./lib/sandbox.mjs"

export const installShims = (sandbox, repo) => {
  const r = spawnSync(process.execPath, [HOOKCTL_BIN, "hooks", "install"], {
    cwd: repo,
    env: sandbox.env,
    encoding: "utf8",
    timeout: 30_000
  })
  if (r.status !== 0) throw new Error(`hookctl hooks install exited ${r.status}: ${(r.stderr || r.stdout).trim()}`)
}

/** `node bin/hookctl <args>` beside `node -e 0`, interleaved; each with its target ratio. */
export const benchHookctl = async ({ report, sizes }, sandbox, { emptyRepo, lsRepo, lsJobs }) => {
  const rows = [
    ["hookctl --version", emptyRepo, ["--version"], 1.15],
    ["hookctl status", emptyRepo, ["status"], 1.2],
    [`hookctl ls (${lsJobs} jobs)`, lsRepo, ["ls"], 1.25]
  ]
  const r = await interleave(
    [
      { name: "node", run: nodeFloor(sandbox.env) },
      ...rows.map(([name, cwd, args]) => ({ name, run: command(process.execPath, [HOOKCTL_BIN, ...args], { cwd, env: sandbox.env }) }))
    ],
    { runs: sizes.runs, warmup: sizes.warmup, budgetMs: sizes.rowBudgetMs }
  )
  const floor = r.get("node").median
  report.row(`node -e 0 (median of ${r.rounds})`, ms(floor))
  for (const [name, , , target] of rows) {
    const t = r.get(name).median
    report.row(name, ms(t), { vs: `${ratio(t, floor)} node -e 0`, target: `≤ ${target}× node`, met: t <= target * floor })
  }
}
