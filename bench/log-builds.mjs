// Log ingestion, build against build (perf-logs' working tool for issue 13; the table's rows are
// bench/log-throughput.mjs): a background job writes N bytes through each given hookd build, against
// the same generator piped into `cat > file`, interleaved (A B A B …), with the log's size against
// the input and the supervisor's own CPU time per MB (utime+stime: far less load-sensitive than wall
// time on a shared machine). Two generators: 100-byte lines, and `yes` (2-byte lines).
// Usage: node bench/log-builds.mjs [--bytes N] [--runs N] [--only lines|yes] [--bundle a/hookd.mjs …]
//   --bundle (repeatable) compares builds, e.g. a copy of main's dist/hookd.mjs placed inside this
//   checkout (so it resolves node_modules) against dist/hookd.mjs (the default).
import { spawnSync } from "node:child_process"
import { readFileSync, rmSync, statSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { payloadOf, requestOnce } from "./lib/framed-client.mjs"
import { HOOKD_BUNDLE, makeGitRepo, makeSandbox, startSupervisor } from "./lib/sandbox.mjs"
import { median } from "./lib/timing.mjs"

const { values } = parseArgs({
  options: {
    bytes: { type: "string", default: "200000000" },
    runs: { type: "string", default: "3" },
    bundle: { type: "string", multiple: true },
    only: { type: "string" }
  }
})
const BYTES = Number(values.bytes)
const RUNS = Number(values.runs)
const bundles = values.bundle ?? [HOOKD_BUNDLE]
const LINE = "x".repeat(99)
const GENERATORS = {
  "100-byte lines": `yes '${LINE}' | head -c ${BYTES}`,
  "yes": `yes | head -c ${BYTES}`
}

// BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": node refuses --cpu-prof in NODE_OPTIONS)
// goes to the supervisors' command lines only.
const supervisorEnv = {}
const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(" ").filter(Boolean) : []
const sandbox = makeSandbox(supervisorEnv)
const repo = makeGitRepo(sandbox, "repo")
const supervisors = []
const secondsOf = (ms) => ms / 1000

/** The generator into `cat > file` (the yardstick): wall ms. */
const catToFile = (generator) => {
  const out = join(sandbox.dir, "cat.out")
  const start = performance.now()
  const r = spawnSync("/bin/sh", ["-c", `${generator} | cat > '${out}'`], { stdio: "ignore" })
  const ms = performance.now() - start
  if (r.status !== 0) throw new Error(`${generator} | cat exited ${r.status}`)
  rmSync(out, { force: true })
  return ms
}

/** The supervisor's CPU time so far (user + system, ms): what a run costs it, whatever the load. */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime, stime in clock ticks (100/s)
}

/**
 * The generator as a background hookd job: from sending RunJobs to the row's finished_at (the
 * supervisor's clock, which is this machine's: polling every 10 ms would load the supervisor it
 * measures, so the row is polled every 250 ms and its own end time is used); wall ms and log bytes.
 */
const throughHookd = async ({ socket, hookd }, generator, n) => {
  const name = `gen-${n}`
  const cpuBefore = cpuMs(hookd.pid)
  const start = Date.now()
  const accepted = await requestOnce(socket, "RunJobs", {
    repo_root: repo, worktree: repo, hook: "post-checkout", args: [], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    mode: "auto", wait: false, jobs: [{ name, run: generator, background: true, timeout_ms: 900_000 }]
  }, "RunAccepted")
  const address = { repo_root: repo, invocation_prefix: accepted.invocation_id, name }
  for (;;) {
    const { job } = await requestOnce(socket, "GetJob", { job: address }, "Job")
    if (["completed", "failed", "timed_out", "cancelled", "crashed", "skipped"].includes(job.status)) {
      const ms = job.finished_at - start
      if (job.status !== "completed") throw new Error(`the job ended ${job.status}: ${job.error ?? ""}`)
      const logBytes = statSync(job.log_path).size
      rmSync(job.log_path, { force: true }) // a slow build's yes log is many GB
      return { ms, logBytes, cpu: cpuMs(hookd.pid) - cpuBefore }
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

try {
  for (const [i, bundle] of bundles.entries()) {
    const s = i === 0 ? sandbox : makeSandbox(supervisorEnv)
    const hookd = await startSupervisor(s, { timeoutMs: 15_000, bundle, nodeArgs })
    supervisors.push({ bundle, socket: s.socket, hookd, sandbox: s })
  }
  console.log(`log throughput: ${(BYTES / 1e6).toFixed(0)} MB per run, ${RUNS} interleaved runs, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  for (const [label, generator] of Object.entries(GENERATORS)) {
    if (values.only !== undefined && !label.includes(values.only)) continue
    const cat = []
    const hookd = supervisors.map(() => ({ ms: [], logBytes: [], cpu: [] }))
    for (let run = 0; run < RUNS; run++) {
      cat.push(catToFile(generator))
      for (const [k, s] of supervisors.entries()) {
        const r = await throughHookd(s, generator, `${run}`)
        hookd[k].cpu.push(r.cpu)
        hookd[k].ms.push(r.ms)
        hookd[k].logBytes.push(r.logBytes)
      }
    }
    const catMs = median(cat)
    console.log(`\n${label}: \`… | cat > file\` ${(BYTES / 1e6 / secondsOf(catMs)).toFixed(0)} MB/s (${catMs.toFixed(0)} ms)`)
    for (const [k, s] of supervisors.entries()) {
      const ms = median(hookd[k].ms)
      const log = median(hookd[k].logBytes)
      console.log(
        `  ${s.bundle}: ${(BYTES / 1e6 / secondsOf(ms)).toFixed(1)} MB/s (${ms.toFixed(0)} ms) = ${((catMs / ms) * 100).toFixed(1)} % of cat; ` +
          `log ${(log / BYTES).toFixed(2)}× the input; supervisor CPU ${(median(hookd[k].cpu) / (BYTES / 1e6)).toFixed(1)} ms per MB`
      )
    }
  }
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
} finally {
  for (const s of supervisors) {
    await s.hookd.stop()
    if (s.sandbox !== sandbox) s.sandbox.cleanup()
  }
  sandbox.cleanup()
}
