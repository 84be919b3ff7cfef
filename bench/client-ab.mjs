#!/usr/bin/env node
// A/B of two hookctl builds against one supervisor (issue 13's client rows): `--version`, `status`,
// `ls` of 1,000 jobs and the time a waited pre-commit `true` adds to `git commit`, each build's
// figure beside `node -e 0`, all interleaved (A B A B …) in one run, with the load average.
//   node bench/client-ab.mjs <baseline-root> [runs]
// <baseline-root> holds the other build's bin/hookctl, dist/ and package.json (e.g. a copy of the
// tree made before a change: `mkdir -p /tmp/base/bin && cp bin/hookctl /tmp/base/bin && cp -r dist
// package.json /tmp/base && ln -s $PWD/node_modules /tmp/base`). This tree's build is "new".
import { spawnSync } from "node:child_process"
import { loadavg } from "node:os"
import { join, resolve } from "node:path"
import { interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { repoIdOf, seedRepo } from "./lib/seed.mjs"
import { HOOKCTL_BIN, makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"
import { timeOnce } from "./lib/timing.mjs"

const baseRoot = process.argv[2]
if (baseRoot === undefined) {
  process.stderr.write("usage: node bench/client-ab.mjs <baseline-root> [runs]\n")
  process.exit(2)
}
const runs = Number(process.argv[3] ?? process.env.BENCH_RUNS ?? 21)
const builds = { base: join(resolve(baseRoot), "bin", "hookctl"), new: HOOKCTL_BIN }

const sandbox = makeSandbox()
const lsRepo = makeGitRepo(sandbox, "ls")
await seedRepo(sandbox.env.HOOKD_STATE_DIR, { repoId: repoIdOf(lsRepo), root: lsRepo, jobs: 1000 })
const emptyRepo = makeGitRepo(sandbox, "empty")
const hookd = await startSupervisor(sandbox)
try {
  const env = sandbox.env
  const config = "hooks:\n  pre-commit:\n    jobs:\n      - {name: check, run: 'true'}\n"
  const none = makeGitRepo(sandbox, "none")
  const commitRepos = {}
  for (const [build, bin] of Object.entries(builds)) {
    commitRepos[build] = makeGitRepo(sandbox, `commit-${build}`, { "hookd.yml": config })
    const r = spawnSync(process.execPath, [bin, "hooks", "install"], { cwd: commitRepos[build], env, encoding: "utf8" })
    if (r.status !== 0) throw new Error(`${bin} hooks install: ${r.stderr}`)
  }
  const hookctl = (bin, cwd, args) => () => timeOnce(process.execPath, [bin, ...args], { cwd, env })
  const commit = (repo) => () => timeOnce("git", ["commit", "-q", "--allow-empty", "-m", "bench"], { cwd: repo, env })
  const rows = [
    ["--version", emptyRepo, ["--version"]],
    ["status", emptyRepo, ["status"]],
    ["ls (1000 jobs)", lsRepo, ["ls"]]
  ]
  const before = loadavg()
  const r = await interleave(
    [
      { name: "node", run: nodeFloor(env) },
      ...rows.flatMap(([name, cwd, args]) => Object.entries(builds).map(([build, bin]) => ({ name: `${build} ${name}`, run: hookctl(bin, cwd, args) }))),
      { name: "commit none", run: commit(none) },
      ...Object.keys(builds).map((build) => ({ name: `commit ${build}`, run: commit(commitRepos[build]) }))
    ],
    { runs, warmup: 2 }
  )
  const m = (name) => r.get(name).median
  const floor = m("node")
  const after = loadavg()
  console.log(`client A/B: medians of ${r.rounds} interleaved rounds, node ${process.version}, load average ${before[0].toFixed(2)} → ${after[0].toFixed(2)}`)
  console.log(`node -e 0                      ${floor.toFixed(1)} ms`)
  for (const [name] of rows) {
    const [a, b] = [m(`base ${name}`), m(`new ${name}`)]
    console.log(`hookctl ${name.padEnd(22)} base ${a.toFixed(1)} ms = ${ratio(a, floor)}   new ${b.toFixed(1)} ms = ${ratio(b, floor)}   new/base ${ratio(b, a)}`)
  }
  const [a, b] = [m("commit base") - m("commit none"), m("commit new") - m("commit none")]
  console.log(`waited pre-commit adds        base +${a.toFixed(1)} ms = ${ratio(a, floor)}   new +${b.toFixed(1)} ms = ${ratio(b, floor)}   new/base ${ratio(b, a)}   (git commit alone ${m("commit none").toFixed(1)} ms)`)
} finally {
  await hookd.stop()
  sandbox.cleanup()
}
