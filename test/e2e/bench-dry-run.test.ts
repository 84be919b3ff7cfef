// `npm run bench` must keep working as the code changes under it (issue 13, deliver 2): the dry
// run (tiny sizes, one round, nothing installed) drives the real supervisor through every
// end-to-end part — requests, shims, seeding through the store API, job logs — and exits non-zero
// when a part breaks. No figure is looked at: speed is shown in bench/, never asserted here.
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const ROOT = join(__dirname, "..", "..")

describe("bench/run.mjs --dry-run", () => {
  it("runs the end-to-end parts without a failure and prints every row", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "bench", "run.mjs"), "--dry-run", "--only", "client,start,logs"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 240_000,
      env: { ...process.env, BENCH_NO_INSTALL: "1" }
    })
    const output = `${r.stdout}\n${r.stderr}`
    expect(output).not.toMatch(/failed:/)
    expect(r.status, output).toBe(0)
    for (const row of [
      "hookctl ls (20 jobs)",
      "+ hookd post-checkout",
      "+ hookd pre-commit",
      "p50 / p99 of 5 lines",
      "spawn → first answer, 50 jobs in one repo",
      "hookctl ls, repo with 50 jobs",
      "yes | head -c 1000000",
      "log size / input"
    ]) {
      expect(output).toContain(row)
    }
  }, 250_000)
})
