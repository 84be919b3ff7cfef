#!/usr/bin/env node
// Job start throughput (issue 13): 1,000 `true` jobs with HOOKD_MAX_PARALLEL=8, timed INTERLEAVED
// (A B C … A B C …) against the peers in the same run: tsp (task-spooler, 8 slots), `xargs -P 8`
// and a bare Node loop spawning `sh -c true` detached with pipes, 8 in flight. hookd gets one
// RunJobs of background jobs over its socket; the time runs from RunAccepted to the moment all
// have ended: a waited sentinel job that needs them all (bench/lib/jobs.mjs, no polling); ListJobs then
// checks every row completed.
// Also prints the supervisor's RSS idle after start, after each burst, and disk used per job.
//
//   node bench/spawn-throughput.mjs [--jobs N] [--rounds N] [--parallel P] [--baseline DIR] [--rss-wait-s S]
//     --baseline DIR   another checkout's root (with dist/hookd.mjs and node_modules): timed beside this one (repeatable)
//     --node-args "…"  node flags for the supervisors (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
//     BENCH_HOOKD_ENV=K=V,K=V  extra environment for the supervisors (e.g. MALLOC_ARENA_MAX=2)
//     --rss-wait-s S   after the rounds, wait S seconds and print RSS again (issue 13: 60)
// Figures are printed, never asserted.
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { requestOnce } from "./lib/framed-client.mjs"
import { completedJobs, runToEnd } from "./lib/jobs.mjs"
import { HOOKD_BUNDLE, makeGitRepo, makeSandbox } from "./lib/sandbox.mjs"
import { median, withTimeout } from "./lib/timing.mjs"

const { values: opts } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    parallel: { type: "string", default: "8" },
    baseline: { type: "string", multiple: true },
    "rss-wait-s": { type: "string", default: "0" },
    peers: { type: "string", default: "tsp,xargs,node" },
    "node-args": { type: "string", default: "" },
    smaps: { type: "boolean", default: false }
  }
})
const JOBS = Number(opts.jobs)
const ROUNDS = Number(opts.rounds)
/** `--parallel 2,8`: one supervisor of this tree per value (the peers and --baseline use the last). */
const PS = opts.parallel.split(",").map(Number)
const P = PS[PS.length - 1]

const rssMiB = (pid) => {
  try {
    return Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) / 1024
  } catch {
    return NaN
  }
}

/** Disk used under a directory, in bytes (du's allocated blocks: what a per-job file really costs). */
const diskBytes = (dir) => Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]) * 1024

/** A supervisor from `bundle`, in its own sandbox, with a repo to run jobs in. */
const startHookd = async (label, bundle, parallel = P) => {
  const extra = Object.fromEntries((process.env.BENCH_HOOKD_ENV ?? "").split(",").filter(Boolean).map((kv) => kv.split("=")))
  const sandbox = makeSandbox({ HOOKD_MAX_PARALLEL: String(parallel), HOOKD_MAX_FOREGROUND: String(parallel), ...extra })
  const repo = makeGitRepo(sandbox, "repo")
  const spawnedAt = performance.now()
  const proc = spawn(process.execPath, [...opts["node-args"].split(" ").filter(Boolean), bundle], { env: sandbox.env, stdio: ["ignore", "ignore", "pipe"] })
  let err = ""
  proc.stderr.on("data", (d) => (err += d))
  await withTimeout(
    new Promise((ok, fail) => {
      const poll = setInterval(() => {
        if (err.includes('"event":"started"')) ok(clearInterval(poll))
        if (proc.exitCode !== null) fail(new Error(`${label} exited: ${err.slice(-300)}`))
      }, 10)
    }),
    30_000,
    `${label} start`
  )
  await requestOnce(sandbox.socket, "Hello", { client: "bench", client_version: "0" }, "Welcome")
  await new Promise((r) => setTimeout(r, 1000))
  return { label, sandbox, repo, proc, startMs: performance.now() - spawnedAt, idleRss: rssMiB(proc.pid), afterBurst: [], err: () => err }
}

const stopHookd = async (h) => {
  h.proc.kill("SIGTERM")
  await withTimeout(new Promise((r) => h.proc.once("exit", r)), 20_000, `${h.label} stop`).catch(() => h.proc.kill("SIGKILL"))
  h.sandbox.cleanup()
}

/** utime+stime (self) and cutime+cstime (waited children) of a process, in ms; zeros once it is gone. */
const cpuOf = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number)
    const tick = 1000 / 100 // CLK_TCK
    return { self: (f[11] + f[12]) * tick, children: (f[13] + f[14]) * tick }
  } catch {
    return { self: 0, children: 0 }
  }
}

/** The supervisor's child processes (its spawner helpers), by scanning /proc for their ppid. */
const childrenOf = (pid) => {
  const found = []
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8")
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) found.push(Number(name))
    } catch {}
  }
  return found
}

/** CPU of the supervisor, of its helpers and of the jobs the helpers waited for, in ms. */
const cpuSnapshot = (h) => {
  const helpers = new Map(childrenOf(h.proc.pid).map((pid) => [pid, cpuOf(pid)]))
  return { supervisor: cpuOf(h.proc.pid).self, helpers }
}

/** Per job: ms of supervisor CPU, of helper CPU (self) and of the jobs' CPU (the helpers' children). */
const cpuPerJob = (before, after) => {
  let helpers = 0
  let jobs = 0
  for (const [pid, now] of after.helpers) {
    const then = before.helpers.get(pid) ?? { self: 0, children: 0 }
    helpers += now.self - then.self
    jobs += now.children - then.children
  }
  return { supervisor: (after.supervisor - before.supervisor) / JOBS, helpers: helpers / JOBS, jobs: jobs / JOBS }
}

const runHookd = async (h) => {
  const cpuBefore = cpuSnapshot(h)
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ name: `t${i}`, run: "true", background: true }))
  const { ms, invocationId } = await runToEnd(h.sandbox.socket, h.repo, jobs).catch((e) => {
    throw new Error(`${h.label}: ${e.message}\n${h.err().slice(-2000)}`)
  })
  const completed = await completedJobs(h.sandbox.socket, h.repo, invocationId)
  if (completed !== JOBS + 1) throw new Error(`${h.label}: ${completed - 1}/${JOBS} completed`)
  h.afterBurst.push(rssMiB(h.proc.pid))
  ;(h.cpu ??= []).push(cpuPerJob(cpuBefore, cpuSnapshot(h)))
  return ms
}

const tspBinary = ["tsp", "ts"].find((b) => spawnSync("sh", ["-c", `command -v ${b} && ${b} -h`], { encoding: "utf8" }).stdout?.includes("-S"))

/** tsp with 8 slots and its own server socket: 1,000 `tsp sh -c true` from one shell, then wait for the last 8. */
const runTsp = (dir) => {
  const env = { ...process.env, TS_SOCKET: join(dir, "ts.sock"), TMPDIR: dir, TS_MAXFINISHED: String(JOBS + 10) }
  spawnSync(tspBinary, ["-K"], { env })
  spawnSync(tspBinary, ["-S", String(P)], { env })
  const began = performance.now()
  const script = `i=0; while [ $i -lt ${JOBS} ]; do id=$(${tspBinary} sh -c true); i=$((i+1)); done; ` +
    `j=$((id-${P - 1})); while [ $j -le $id ]; do ${tspBinary} -w $j >/dev/null 2>&1; j=$((j+1)); done`
  const r = spawnSync("sh", ["-c", script], { env, stdio: "ignore" })
  const ms = performance.now() - began
  spawnSync(tspBinary, ["-K"], { env })
  if (r.status !== 0) throw new Error(`tsp round exited ${r.status}`)
  return ms
}

const runXargs = () => {
  const began = performance.now()
  const r = spawnSync("sh", ["-c", `seq ${JOBS} | xargs -P ${P} -n 1 sh -c true`], { stdio: "ignore" })
  if (r.status !== 0) throw new Error(`xargs exited ${r.status}`)
  return performance.now() - began
}

/** The floor: Node spawning `sh -c true` the way hookd does (detached, three pipes), P in flight. */
const runNodeLoop = () =>
  new Promise((done) => {
    const began = performance.now()
    let started = 0
    let ended = 0
    const next = () => {
      if (started === JOBS) return
      started++
      const child = spawn("/bin/sh", ["-c", "true"], { stdio: ["pipe", "pipe", "pipe"], detached: true })
      child.stdin.end()
      child.stdout.resume()
      child.stderr.resume()
      child.once("close", () => {
        if (++ended === JOBS) done(performance.now() - began)
        else next()
      })
    }
    for (let i = 0; i < P; i++) next()
  })

const hookds = []
for (const parallel of PS) hookds.push(await startHookd(PS.length > 1 ? `hookd (this tree) P=${parallel}` : "hookd (this tree)", HOOKD_BUNDLE, parallel))
for (const baseline of opts.baseline ?? []) {
  const bundle = join(resolve(baseline), "dist", "hookd.mjs")
  if (!existsSync(bundle)) throw new Error(`no ${bundle}`)
  hookds.push(await startHookd(`hookd (${baseline})`, bundle))
}
const peers = opts.peers.split(",").filter(Boolean)
const tspDir = makeSandbox().dir
const contenders = [
  ...hookds.map((h) => ({ label: h.label, run: () => runHookd(h) })),
  ...(peers.includes("tsp") && tspBinary ? [{ label: `tsp -S ${P}`, run: async () => runTsp(tspDir) }] : []),
  ...(peers.includes("xargs") ? [{ label: `xargs -P ${P} sh -c true`, run: async () => runXargs() }] : []),
  ...(peers.includes("node") ? [{ label: `node spawn loop, ${P} in flight`, run: runNodeLoop }] : [])
]
if (peers.includes("tsp") && !tspBinary) console.log("  tsp: skipped: neither tsp nor ts (task-spooler) is installed")

const load = [loadavg()[0]]
const samples = contenders.map(() => [])
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, c] of contenders.entries()) samples[k].push(await c.run())
  load.push(loadavg()[0])
}
console.log(`${JOBS} \`true\` jobs, ${P} in parallel — median of ${ROUNDS} interleaved rounds; load average ${load.map((l) => l.toFixed(2)).join(" → ")}`)
const ref = median(samples[0])
for (const [k, c] of contenders.entries()) {
  const m = median(samples[k])
  console.log(`  ${c.label.padEnd(44)} ${(JOBS * 1000 / m).toFixed(0).padStart(6)} jobs/s  (${m.toFixed(0)} ms; ${(m / ref).toFixed(2)}× this tree's time; rounds ${samples[k].map((x) => x.toFixed(0)).join(" ")})`)
}
for (const h of hookds) {
  const logs = join(h.sandbox.env.HOOKD_STATE_DIR, "repos")
  const perJob = diskBytes(logs) / (JOBS * ROUNDS)
  console.log(`  ${h.label}: RSS idle ${h.idleRss.toFixed(0)} MiB, after each burst ${h.afterBurst.map((x) => x.toFixed(0)).join(" ")} MiB; disk per job ${(perJob / 1024).toFixed(2)} KiB (state/repos, db included)`)
}
for (const h of hookds) {
  const m = (key) => median(h.cpu.map((c) => c[key])).toFixed(2)
  console.log(`  ${h.label}: CPU per job (median) supervisor ${m("supervisor")} ms, spawner helpers ${m("helpers")} ms, the jobs themselves ${m("jobs")} ms`)
}
/** The largest resident mappings of a process (where its RSS is: V8 heap, wasm memory, code). */
const topMappings = (pid, n = 6) => {
  const text = readFileSync(`/proc/${pid}/smaps`, "utf8")
  const maps = []
  let current
  for (const line of text.split("\n")) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) maps.push((current = { head: line.replace(/\s+/g, " ").slice(0, 90), rss: 0 }))
    else if (line.startsWith("Rss:") && current) current.rss = Number(line.split(/\s+/)[1])
  }
  const kinds = new Map()
  for (const m of maps) {
    const name = m.head.split(" ")[5] ?? ""
    const [from, to] = m.head.split(" ")[0].split("-").map((x) => parseInt(x, 16))
    const kind = name !== "" ? name.split("/").pop() : `anon ${to - from <= 262144 ? "≤256K (V8 pages)" : to - from <= 4 * 1048576 ? "≤4M" : ">4M"}`
    kinds.set(kind, (kinds.get(kind) ?? 0) + m.rss)
  }
  return [...kinds].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, rss]) => `${(rss / 1024).toFixed(1)} MiB ${k}`)
}
const wait = Number(opts["rss-wait-s"])
if (wait > 0) {
  await new Promise((r) => setTimeout(r, wait * 1000))
  for (const h of hookds) console.log(`  ${h.label}: RSS ${wait} s after the last burst ${rssMiB(h.proc.pid).toFixed(0)} MiB (idle was ${h.idleRss.toFixed(0)})`)
}
if (opts.smaps) for (const h of hookds) console.log(`  ${h.label} largest mappings:\n    ${topMappings(h.proc.pid).join("\n    ")}`)
for (const h of hookds) await stopHookd(h)
