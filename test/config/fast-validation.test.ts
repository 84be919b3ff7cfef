// The fast path of config validation (issue 14 item 8) must give exactly the schema's answer: the
// same decoded config for a good file, the same ConfigInvalid (file, line, path, message) for a bad
// one. Table-driven against validateConfigBySchemaAlone, the whole config through effect/Schema.
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { fastJob } from "../../src/config/fast-job"
import { JobConfig } from "../../src/config/schema"
import { validateConfig, validateConfigBySchemaAlone } from "../../src/config/validate"
import { parseYaml } from "../../src/config/yaml-source"

const both = (text: string) => {
  const parsed = parseYaml("hookd.yml", text)
  if (parsed._tag !== "Parsed") throw new Error(parsed.problem.message)
  return {
    fast: validateConfig(parsed.parsed.value, parsed.parsed.locations, ["hookd.yml"]),
    reference: validateConfigBySchemaAlone(parsed.parsed.value, parsed.parsed.locations, ["hookd.yml"])
  }
}

const jobs = (...lines: string[]) => `hooks:\n  pre-commit:\n    jobs:\n${lines.map((l) => `      ${l}`).join("\n")}\n`

const CONFIGS: Array<[string, string]> = [
  ["empty file", ""],
  ["no hooks", "log:\n  keep_last: 2\n"],
  ["hooks: null", "hooks:\n"],
  ["jobs: null", "hooks:\n  pre-commit:\n    jobs:\n"],
  ["the common shape", jobs("- {name: a, run: 'true'}", "- {name: b, run: x, needs: [a], tags: [t1], background: true, timeout: 30s, cwd: sub, concurrency: queue}")],
  ["timeout as a number", jobs("- {name: a, run: x, timeout: 0}", "- {name: b, run: x, timeout: 1.5}")],
  ["keys the fast path leaves to the schema", jobs("- {name: a, run: x, env: {A: 1, B: two}, log: {max_size: 1MB}, skip: [merge], only: CI, inputs: [src], outputs: [dist]}")],
  ["log: null on a job", jobs("- {name: a, run: x, log: }")],
  ["several hooks and repo-level keys", `log:\n  retention: 1d\nhooks:\n  post-checkout:\n    background: true\n    file_checkouts: true\n    jobs:\n      - {name: i, run: npm i}\n  pre-push:\n    jobs:\n      - {name: t, run: test}\n`],
  ["a bad job name", jobs("- {name: 'bad name', run: x}")],
  ["an empty run", jobs("- {name: a, run: ''}")],
  ["run missing", jobs("- {name: a}")],
  ["an unknown key on a job", jobs("- {name: a, run: x, nedds: [b]}")],
  ["a bad need name", jobs("- {name: a, run: x, needs: ['no good']}")],
  ["needs not a list", jobs("- {name: a, run: x, needs: b}")],
  ["a bad tag", jobs("- {name: a, run: x, tags: ['a,b']}")],
  ["background not a boolean", jobs("- {name: a, run: x, background: 'yes'}")],
  ["a negative timeout", jobs("- {name: a, run: x, timeout: -1}")],
  ["a bad duration", jobs("- {name: a, run: x, timeout: 10 minutes}")],
  ["an unknown concurrency", jobs("- {name: a, run: x, concurrency: sometimes}")],
  ["cwd outside the worktree", jobs("- {name: a, run: x, cwd: ../up}")],
  ["cwd absolute", jobs("- {name: a, run: x, cwd: /etc}")],
  ["a job that is not a map", jobs("- just a string")],
  ["a null job", jobs("- ")],
  ["jobs not a list", "hooks:\n  pre-commit:\n    jobs: {name: a}\n"],
  ["an unknown hook", "hooks:\n  pre-comit:\n    jobs:\n      - {name: a, run: x}\n"],
  ["a bad hook-level key next to good jobs", "hooks:\n  pre-commit:\n    exclude_tags: 'x'\n    jobs:\n      - {name: a, run: x}\n"],
  ["problems in the hook and in a job on one line", "hooks:\n  pre-commit: {exclude_tags: [a b], jobs: [{name: 'x y', run: z}], background: 3}\n"],
  ["problems in two jobs and two hooks", `hooks:\n  pre-push:\n    jobs:\n      - {name: a, run: ''}\n  pre-commit:\n    jobs:\n      - {name: ok, run: x}\n      - {name: b, run: x, timeout: never}\n`],
  ["file_checkouts on another hook", "hooks:\n  pre-commit:\n    file_checkouts: true\n    jobs:\n      - {name: a, run: x}\n"],
  ["a duplicate job", jobs("- {name: a, run: x}", "- {name: a, run: y}")],
  ["an unknown need", jobs("- {name: a, run: x, needs: [nope]}")],
  ["a cycle", jobs("- {name: a, run: x, needs: [b]}", "- {name: b, run: x, needs: [a]}")],
  ["a bad log block", "log:\n  keep_last: -1\nhooks:\n  pre-commit:\n    jobs:\n      - {name: a, run: x}\n"],
  ["an unknown top-level key", "hoks:\n  pre-commit: {}\n"]
]

describe("validateConfig answers exactly as the schema alone", () => {
  it.each(CONFIGS)("%s", (_name, text) => {
    const { fast, reference } = both(text)
    expect(fast._tag).toBe(reference._tag)
    if (Either.isRight(fast) && Either.isRight(reference)) {
      expect(fast.right).toStrictEqual(reference.right)
      expect(JSON.stringify(fast.right)).toBe(JSON.stringify(reference.right)) // the keys in the same order too
    }
    if (Either.isLeft(fast) && Either.isLeft(reference)) {
      expect({ ...fast.left, message: fast.left.message }).toEqual({ ...reference.left, message: reference.left.message })
    }
  })

  it("a big generated config: the same decoded value", () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `- {name: job${i}, run: 'true'${i > 0 ? `, needs: [job${i - 1}]` : ""}${i % 7 === 0 ? ", env: {A: x}" : ""}}`)
    const { fast, reference } = both(jobs(...lines))
    expect(Either.isRight(fast)).toBe(true)
    expect(fast).toStrictEqual(reference)
  })
})

const decodeJob = Schema.decodeUnknownEither(JobConfig, { errors: "all", onExcessProperty: "error" })

describe("fastJob", () => {
  // It takes the common shapes itself (else it would speed nothing up) …
  it.each<[string, unknown]>([
    ["name and run", { name: "a", run: "x" }],
    ["every key it knows", { name: "a.b-c_1", run: "x", cwd: "sub/dir", needs: ["b"], tags: ["t"], background: false, timeout: "1h30m", concurrency: "skip" }],
    ["a timeout in seconds", { name: "a", run: "x", timeout: 0 }],
    ["keys in another order", { run: "x", needs: [], name: "a" }]
  ])("accepts %s, exactly as the schema decodes it", (_name, job) => {
    const fast = fastJob(job)
    expect(fast).toBeDefined()
    const decoded = decodeJob(job)
    expect(Either.isRight(decoded) && JSON.stringify(decoded.right)).toBe(JSON.stringify(fast))
  })

  // … and leaves everything else to the schema, never accepting what the schema refuses.
  it.each<[string, unknown]>([
    ["an env map (not its shape)", { name: "a", run: "x", env: { A: "1" } }],
    ["an unknown key", { name: "a", run: "x", nedds: [] }],
    ["a key holding undefined", { name: "a", run: "x", cwd: undefined }],
    ["a bad name", { name: "-a", run: "x" }],
    ["a name too long", { name: "a".repeat(129), run: "x" }],
    ["an empty run", { name: "a", run: "" }],
    ["run as a number", { name: "a", run: 1 }],
    ["a need that is no name", { name: "a", run: "x", needs: ["a b"] }],
    ["needs as a string", { name: "a", run: "x", needs: "b" }],
    ["a tag with a comma", { name: "a", run: "x", tags: ["a,b"] }],
    ["an infinite timeout", { name: "a", run: "x", timeout: Infinity }],
    ["NaN", { name: "a", run: "x", timeout: NaN }],
    ["an unknown duration", { name: "a", run: "x", timeout: "soon" }],
    ["background as a string", { name: "a", run: "x", background: "true" }],
    ["an unknown concurrency", { name: "a", run: "x", concurrency: "never" }],
    ["a cwd above the worktree", { name: "a", run: "x", cwd: "a/../.." }],
    ["an array", [{ name: "a", run: "x" }]],
    ["null", null],
    ["an object with another prototype", Object.assign(Object.create({ inherited: 1 }), { name: "a", run: "x" })]
  ])("leaves %s to the schema", (_name, job) => {
    expect(fastJob(job)).toBeUndefined()
  })
})
