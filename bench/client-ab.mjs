#!/usr/bin/env node
// A/B of two hookd builds (issue 13's client rows): `--version`, `status`, `ls` of 1,000 jobs and the
// time a waited pre-commit `true` adds to `git commit`, each build's figure beside `node -e 0`, all
// interleaved (A B A B …) in one run, with the load average.
//   node bench/client-ab.mjs <baseline-root> [runs] [--supervisors]
// <baseline-root> holds the other build's bin/hookctl, dist/ and package.json (e.g. a copy of the
// tree made before a change: `mkdir -p /tmp/base/bin && cp bin/hookctl bin/package.json /tmp/base/bin
// && cp -r dist schema package.json /tmp/base && ln -s $PWD/node_modules /tmp/base`). This tree's
// build is "new". Without --supervisors both clients talk to this tree's supervisor (a client-only
// change); with it each build runs its own supervisor, in a sandbox of its own, with the same history
// (a change to the supervisor's answers).
import { spawnSync } from "node:child_process"
import { loadavg } from "node:os"
import { join, resolve } from "node:path"
import { interleave, nodeFloor, ratio } from "./lib/interleave.mjs"
import { repoIdOf, seedRepo } from "./lib/seed.mjs"
import { HOOKCTL_BIN, HOOKD_BUNDLE, makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"
import { timeOnce } from "./lib/timing.mjs"

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const ownSupervisors = process.argv.includes("--supervisors")
const baseRoot = positional[0]
if (baseRoot === undefined) {
  process.stderr.write("usage: node bench/client-ab.mjs <baseline-root> [runs] [--supervisors]\n")
  process.exit(2)
}
const runs = Number(positional[1] ?? process.env.BENCH_RUNS ?? 21)
const builds = {
  base: { bin: join(resolve(baseRoot), "bin", "hookctl"), bundle: join(resolve(baseRoot), "dist", "hookd.mjs") },
  new: { bin: HOOKCTL_BIN, bundle: HOOKD_BUNDLE }
}

/** A sandbox with a 1,000-job repo, an empty repo, a repo with no hook and one whose pre-commit runs `true`. */
const prepare = async (name, hookctlBins) => {
  const sandbox = makeSandbox()
  const lsRepo = makeGitRepo(sandbox, "ls")
  await seedRepo(sandbox.env.HOOKD_STATE_DIR, { repoId: repoIdOf(lsRepo), root: lsRepo, jobs: 1000 })
  const emptyRepo = makeGitRepo(sandbox, "empty")
  const none = makeGitRepo(sandbox, "none")
  const config = "hooks:\n  pre-commit:\n    jobs:\n      - {name: check, run: 'true'}\n"
  const commitRepos = {}
  for (const [build, bin] of Object.entries(hookctlBins)) {
    commitRepos[build] = makeGitRepo(sandbox, `commit-${build}`, { "hookd.yml": config })
    const r = spawnSync(process.execPath, [bin, "hooks", "install"], { cwd: commitRepos[build], env: sandbox.env, encoding: "utf8" })
    if (r.status !== 0) throw new Error(`${bin} hooks install: ${r.stderr}`)
  }
  const hookd = await startSupervisor(sandbox, { bundle: builds[name].bundle })
  return { sandbox, hookd, lsRepo, emptyRepo, none, commitRepos }
}

// One shared supervisor (this tree's) for a client-only change; one per build otherwise.
const places = ownSupervisors
  ? { base: await prepare("base", { base: builds.base.bin }), new: await prepare("new", { new: builds.new.bin }) }
  : (() => undefined)()
const shared = places === undefined ? await prepare("new", { base: builds.base.bin, new: builds.new.bin }) : undefined
const placeOf = (build) => places?.[build] ?? shared
try {
  const hookctl = (build, repo, args) => () => {
    const p = placeOf(build)
    return timeOnce(process.execPath, [builds[build].bin, ...args], { cwd: p[repo], env: p.sandbox.env })
  }
  const commit = (build, repoOf) => () => {
    const p = placeOf(build)
    return timeOnce("git", ["commit", "-q", "--allow-empty", "-m", "bench"], { cwd: repoOf(p), env: p.sandbox.env })
  }
  const rows = [
    ["--version", "emptyRepo", ["--version"]],
    ["status", "emptyRepo", ["status"]],
    ["ls (1000 jobs)", "lsRepo", ["ls"]]
  ]
  const before = loadavg()
  const r = await interleave(
    [
      { name: "node", run: nodeFloor(placeOf("new").sandbox.env) },
      ...rows.flatMap(([name, repo, args]) => Object.keys(builds).map((build) => ({ name: `${build} ${name}`, run: hookctl(build, repo, args) }))),
      ...Object.keys(builds).flatMap((build) => [
        { name: `commit none ${build}`, run: commit(build, (p) => p.none) },
        { name: `commit ${build}`, run: commit(build, (p) => p.commitRepos[build]) }
      ])
    ],
    { runs, warmup: 2 }
  )
  const m = (name) => r.get(name).median
  const floor = m("node")
  const after = loadavg()
  console.log(
    `client A/B${ownSupervisors ? " (each build with its own supervisor)" : ""}: medians of ${r.rounds} interleaved rounds, node ${process.version}, load average ${before[0].toFixed(2)} → ${after[0].toFixed(2)}`
  )
  console.log(`node -e 0                      ${floor.toFixed(1)} ms`)
  for (const [name] of rows) {
    const [a, b] = [m(`base ${name}`), m(`new ${name}`)]
    console.log(`hookctl ${name.padEnd(22)} base ${a.toFixed(1)} ms = ${ratio(a, floor)}   new ${b.toFixed(1)} ms = ${ratio(b, floor)}   new/base ${ratio(b, a)}`)
  }
  const [a, b] = [m("commit base") - m("commit none base"), m("commit new") - m("commit none new")]
  console.log(
    `waited pre-commit adds        base +${a.toFixed(1)} ms = ${ratio(a, floor)}   new +${b.toFixed(1)} ms = ${ratio(b, floor)}   new/base ${ratio(b, a)}   (git commit alone ${m("commit none new").toFixed(1)} ms)`
  )
} finally {
  for (const p of places ? Object.values(places) : [shared]) {
    await p.hookd.stop()
    p.sandbox.cleanup()
  }
}
