// The parse of a big config in a worker thread (issue 14 item 8) gives what the inline parse gives:
// the same value and the same line for every path (the Locations tree survives postMessage's
// structured clone), and the same problem. Runs the built worker, dist/yaml-worker.mjs.
import { Effect } from "effect"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { OFF_THREAD_BYTES, parseInWorker } from "../../src/config/parse-off-thread"
import { parseYaml, type ConfigPath } from "../../src/config/yaml-source"
import { REPO_ROOT } from "../support/supervisor"

const WORKER = join(REPO_ROOT, "dist", "yaml-worker.mjs")

const bigConfig = (jobs: number) => {
  const lines = ["hooks:", "  pre-commit:", "    jobs:"]
  for (let i = 0; i < jobs; i++) lines.push(`      - name: job${i}`, `        run: "echo ${i}"`, `        env: {N: "${i}", "a.b": x}`)
  lines.push("  post-merge:", "    jobs:", "      - &shared {name: shared, run: make}", '      - {"__proto__": {polluted: true}, name: odd, run: "true"}')
  return lines.join("\n") + "\n"
}

describe("parseInWorker", () => {
  it("a config over the threshold: the same value and the same locations as the inline parse", async () => {
    const text = bigConfig(1500)
    expect(text.length).toBeGreaterThan(OFF_THREAD_BYTES)
    const inWorker = await Effect.runPromise(parseInWorker(WORKER, "/r/hookd.yml", text))
    const inline = parseYaml("/r/hookd.yml", text)
    expect(inWorker._tag).toBe("Parsed")
    if (inWorker._tag !== "Parsed" || inline._tag !== "Parsed") return
    expect(inWorker.parsed.value).toEqual(inline.parsed.value)
    const paths: ConfigPath[] = [[], ["hooks"], ["hooks", "pre-commit", "jobs", 0, "run"], ["hooks", "pre-commit", "jobs", 1499, "env", "a.b"], ["hooks", "post-merge", "jobs", 1, "__proto__"], ["hooks", "nope", "x"]]
    for (const path of paths) expect(inWorker.parsed.locations.find(path), JSON.stringify(path)).toEqual(inline.parsed.locations.find(path))
    // Still a Locations: the merge and validation use its methods.
    expect(inWorker.parsed.locations.copy().find(["hooks", "post-merge"])).toEqual({ file: "/r/hookd.yml", line: 4504 })
    // A "__proto__" key stays data through the clone, and changes no prototype.
    const odd = (inWorker.parsed.value as { hooks: { "post-merge": { jobs: Array<Record<string, unknown>> } } }).hooks["post-merge"].jobs[1]!
    expect(Object.keys(odd)).toContain("__proto__")
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
  })

  it("a syntax error: the same problem (file, line, message) as the inline parse", async () => {
    const text = `${bigConfig(1500)}  pre-push: [unclosed\n`
    const inWorker = await Effect.runPromise(parseInWorker(WORKER, "/r/hookd.yml", text))
    expect(inWorker).toEqual(parseYaml("/r/hookd.yml", text))
    expect(inWorker).toMatchObject({ _tag: "Problem", problem: { file: "/r/hookd.yml", message: expect.stringContaining("YAML syntax error") } })
  })

  it("a worker script that does not exist fails (the caller then parses inline)", async () => {
    const failed = await Effect.runPromise(Effect.flip(parseInWorker(join(REPO_ROOT, "dist", "no-such-worker.mjs"), "/r/hookd.yml", "a: 1\n")))
    expect(failed).toBeInstanceOf(Error)
  })
})
