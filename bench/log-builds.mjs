// Log ingestion, build against build (logs' working tool for issue 13; the table's rows are
// bench/log-throughput.mjs): a background job writes N bytes through each given hookd build, against
// the same producer piped into `cat > file`, interleaved (the builds' order alternates per round), with
// the log's size against the input and the supervisor's own CPU time per MB (user and system: far
// less load-sensitive than wall time on a shared machine). The producers and the timing (RunAccepted
// → StreamEnd of a RunJobs that waits for the job) are log-throughput.mjs's.
// Usage: node bench/log-builds.mjs [--bytes N] [--runs N] [--only lines|yes] [--bundle a/hookd.mjs …]
//   --bundle (repeatable) compares builds, e.g. a copy of main's dist/ placed inside this checkout
//   (so it resolves node_modules: .tmp/ is ignored by git) against dist/hookd.mjs (the default).
// BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": node refuses --cpu-prof in
// NODE_OPTIONS) goes to the supervisors' command lines only.
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync, rmSync, statSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { getJob, runToEnd } from "./lib/jobs.mjs"
import { job } from "./lib/requests.mjs"
import { HOOKD_BUNDLE, makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"
import { median } from "./lib/timing.mjs"
import { writeLinesFile } from "./log-throughput.mjs"

const { values } = parseArgs({
  options: {
    bytes: { type: "string", default: "200000000" },
    runs: { type: "string", default: "5" },
    bundle: { type: "string", multiple: true },
    only: { type: "string" }
  }
})
const BYTES = Number(values.bytes)
const MB = BYTES / 1e6
const RUNS = Number(values.runs)
const bundles = values.bundle ?? [HOOKD_BUNDLE]
const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(" ").filter(Boolean) : []
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ")

const sandbox = makeSandbox()
const input = join(sandbox.dir, "lines.txt")
const PRODUCERS = {
  "100-byte lines (head -c FILE)": `head -c ${BYTES} '${input}'`,
  yes: `yes | head -c ${BYTES}`
}

/** The producer into `cat > file` (the yardstick): wall ms. */
const catToFile = (producer) => {
  const out = join(sandbox.dir, "cat.out")
  const start = performance.now()
  const r = spawnSync("/bin/sh", ["-c", `${producer} | cat > '${out}'`], { stdio: "ignore" })
  const ms = performance.now() - start
  if (r.status !== 0) throw new Error(`${producer} | cat exited ${r.status}`)
  rmSync(out, { force: true })
  return ms
}

/** The supervisor's CPU time so far, ms: [user, system] (clock ticks of 10 ms). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
  return [Number(fields[11]) * 10, Number(fields[12]) * 10]
}

/** The producer as a background job of `s`'s supervisor: wall ms, CPU ms and log bytes (the log is removed). */
const throughHookd = async (s, producer) => {
  const before = cpuMs(s.hookd.pid)
  const { ms, invocationId } = await runToEnd(s.socket, s.repo, [job("produce", producer, { timeout_ms: 900_000 })], { timeoutMs: 900_000 })
  const after = cpuMs(s.hookd.pid)
  const produced = await getJob(s.socket, s.repo, invocationId, "produce")
  if (produced.status !== "completed") throw new Error(`the job ended ${produced.status}: ${produced.error ?? ""}`)
  const logBytes = existsSync(produced.log_path) ? statSync(produced.log_path).size : 0
  rmSync(produced.log_path, { force: true }) // a slow build's yes log is many GB
  return { ms, user: after[0] - before[0], sys: after[1] - before[1], logBytes }
}

const supervisors = []
try {
  await writeLinesFile(input, BYTES)
  for (const [i, bundle] of bundles.entries()) {
    const s = i === 0 ? sandbox : makeSandbox()
    const repo = makeGitRepo(s, "repo")
    const hookd = await startSupervisor(s, { timeoutMs: 15_000, bundle, nodeArgs })
    const entry = { bundle, socket: s.socket, repo, hookd, sandbox: s }
    supervisors.push(entry)
    await runToEnd(s.socket, repo, [job("warm-up", "true")]) // opens the repo's database
  }
  console.log(`log throughput: ${MB.toFixed(0)} MB per run, ${RUNS} interleaved runs, load average ${load()}`)
  for (const [label, producer] of Object.entries(PRODUCERS)) {
    if (values.only !== undefined && !label.includes(values.only)) continue
    const cat = []
    const runs = supervisors.map(() => [])
    for (let round = 0; round < RUNS; round++) {
      cat.push(catToFile(producer))
      const order = [...supervisors.keys()]
      if (round % 2 === 1) order.reverse()
      for (const k of order) runs[k].push(await throughHookd(supervisors[k], producer))
    }
    const catMs = median(cat)
    console.log(`\n${label}: \`… | cat > file\` ${(MB / (catMs / 1000)).toFixed(0)} MB/s (${catMs.toFixed(0)} ms)`)
    for (const [k, s] of supervisors.entries()) {
      const of = (key) => median(runs[k].map((r) => r[key]))
      const ms = of("ms")
      console.log(
        `  ${s.bundle}: ${(MB / (ms / 1000)).toFixed(0)} MB/s = ${(catMs / ms).toFixed(3)}× cat (runs ${runs[k].map((r) => r.ms.toFixed(0)).join(" ")} ms); ` +
          `supervisor CPU ${(median(runs[k].map((r) => r.user + r.sys)) / MB).toFixed(2)} ms/MB (user ${(of("user") / MB).toFixed(2)}, system ${(of("sys") / MB).toFixed(2)}); ` +
          `log ${(of("logBytes") / BYTES).toFixed(2)}× the input`
      )
    }
  }
  console.log(`\nload average after: ${load()}`)
} finally {
  for (const s of supervisors) {
    await s.hookd.stop()
    if (s.sandbox !== sandbox) s.sandbox.cleanup()
  }
  sandbox.cleanup()
}
