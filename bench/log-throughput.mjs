// Issue 13, rows "200 MB of 100-byte lines through a background job" and "`yes | head -c
// 200000000`": MB/s of a background job whose output hookd records, against the same producer
// piped into `cat > file`, interleaved, and the job log's size against the input.
// A producer hookd is far too slow for (the seed's `yes` row took 283 s) is measured on a probe of
// a few MB first; when the full size would blow the row's time budget the probe's figures are
// printed, labelled as such, instead of running for minutes.
import { createWriteStream, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { once } from "node:events"
import { interleave, ratio } from "./lib/interleave.mjs"
import { getJob, runToEnd } from "./lib/jobs.mjs"
import { job } from "./lib/requests.mjs"
import { makeGitRepo, openSupervisor } from "./lib/sandbox.mjs"
import { timeOnce } from "./lib/timing.mjs"

const MB = 1_000_000

/** `bytes` of 99 printable characters + newline per line. */
export const writeLinesFile = async (path, bytes) => {
  const line = "x".repeat(99) + "\n"
  const chunk = line.repeat(10_000)
  const out = createWriteStream(path)
  for (let written = 0; written < bytes; written += chunk.length) {
    if (!out.write(bytes - written >= chunk.length ? chunk : chunk.slice(0, bytes - written))) await once(out, "drain")
  }
  out.end()
  await once(out, "finish")
}

/** Bytes of a job's log (a file, or a directory of files), then removes it: the disk stays free. */
const takeLogBytes = (path) => {
  const st = statSync(path)
  const bytes = st.isDirectory() ? 0 : st.size
  rmSync(path, { recursive: true, force: true })
  return bytes
}

/**
 * One row: `producer(bytes)` is a shell command writing `bytes` to stdout. hookd runs it as a
 * background job; the peer runs `producer | cat > file`. Returns the medians and the log ratio.
 */
const throughJob = async ({ supervisor, repo, producer, bytes, rounds }) => {
  const { socket, dir, env } = supervisor.sandbox
  const out = join(dir, "peer-output")
  const logRatios = []
  const r = await interleave(
    [
      {
        name: "hookd",
        run: async () => {
          const { ms, invocationId } = await runToEnd(socket, repo, [job("produce", producer(bytes), { timeout_ms: 600_000 })], {
            timeoutMs: 600_000
          })
          const produced = await getJob(socket, repo, invocationId, "produce")
          if (produced.status !== "completed") throw new Error(`the producing job ended ${produced.status}`)
          logRatios.push(takeLogBytes(produced.log_path) / bytes)
          return bytes / MB / (ms / 1000)
        }
      },
      {
        name: "file",
        run: () => {
          const ms = timeOnce("sh", ["-c", `${producer(bytes)} | cat > '${out}'`], { env, timeoutMs: 600_000 })
          rmSync(out, { force: true })
          return bytes / MB / (ms / 1000)
        }
      }
    ],
    rounds
  )
  logRatios.sort((a, b) => a - b)
  return { hookd: r.get("hookd").median, file: r.get("file").median, logRatio: logRatios[Math.floor(logRatios.length / 2)], rounds: r.rounds }
}

export const benchLogThroughput = async ({ report, sizes }) => {
  const supervisor = await openSupervisor()
  try {
    const repo = makeGitRepo(supervisor.sandbox, "logs")
    const input = join(supervisor.sandbox.dir, "lines.txt")
    await writeLinesFile(input, sizes.logBytes)
    await runToEnd(supervisor.sandbox.socket, repo, [job("warm-up", "true")]) // opens the repo's database
    const rows = [
      {
        label: `${sizes.logBytes / MB} MB of 100-byte lines (cat FILE)`,
        producer: (bytes) => `head -c ${bytes} '${input}'`,
        throughput: 0.4,
        maxLog: 1.3
      },
      {
        label: `yes | head -c ${sizes.logBytes}`,
        producer: (bytes) => `yes | head -c ${bytes}`,
        throughput: 0.25,
        maxLog: 3
      }
    ]
    report.section(`Job output → log: MB/s of a background job vs the producer piped into \`cat > file\`, interleaved`)
    for (const row of rows) {
      // Probes of growing size (×10 while the next one takes under ~10 s) tell whether the full
      // size fits the row's time budget; start-up costs weigh less on the larger probes.
      let probeBytes = sizes.logProbeBytes
      let probe = await throughJob({ supervisor, repo, producer: row.producer, bytes: probeBytes, rounds: { runs: 1, warmup: 0 } })
      while (probeBytes * 10 < sizes.logBytes && (probeBytes * 10) / MB / probe.hookd < 10) {
        probeBytes *= 10
        probe = await throughJob({ supervisor, repo, producer: row.producer, bytes: probeBytes, rounds: { runs: 1, warmup: 0 } })
      }
      const fullSeconds = sizes.logBytes / MB / probe.hookd
      const full = fullSeconds <= sizes.rowBudgetMs / 3000
      const m = full
        ? await throughJob({
            supervisor,
            repo,
            producer: row.producer,
            bytes: sizes.logBytes,
            rounds: { runs: sizes.logRuns, warmup: 0, budgetMs: sizes.rowBudgetMs }
          })
        : probe
      const label = full ? `${row.label} (median of ${m.rounds})` : `${row.label}: ${probeBytes / MB} MB probe only`
      report.row(label, `${m.hookd.toFixed(1)} MB/s`, {
        vs: `${ratio(m.hookd, m.file)} \`| cat > file\` (${m.file.toFixed(0)} MB/s)`,
        note: full ? undefined : `the full size would take ~${fullSeconds.toFixed(0)} s`,
        target: `≥ ${row.throughput * 100} % of \`cat > file\``,
        met: m.hookd >= row.throughput * m.file
      })
      report.row("  log size / input", `${m.logRatio.toFixed(2)}×`, { target: `≤ ${row.maxLog}×`, met: m.logRatio <= row.maxLog })
    }
  } finally {
    await supervisor.close()
  }
}
