// Finding the config, hookd-local.yml on top, JobSpec shape, mode overrides and the policy.
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { DEFAULT_POLICY } from "../../src/config/load"
import { context, loadOk, tempDir, writeFiles } from "./support"

const oneJob = (name: string) => `hooks:\n  pre-commit:\n    jobs:\n      - name: ${name}\n        run: echo ${name}\n`

describe("config search", () => {
  it("without a config file there are no jobs and the default policy", async () => {
    const dir = tempDir()
    expect(await loadOk(context(dir))).toEqual({ source: undefined, jobs: [], policy: DEFAULT_POLICY })
  })

  const order = ["hookd.yml", "hookd.yaml", ".hookd.yml", ".hookd.yaml", ".config/hookd.yml"]
  it.each(order.map((name, i) => [name, order.slice(i + 1)] as const))(
    "%s wins over the names after it",
    async (winner, later) => {
      const dir = tempDir()
      writeFiles(dir, Object.fromEntries([winner, ...later].map((name) => [name, oneJob(name.replace(/[^a-z]/g, "x"))])))
      const loaded = await loadOk(context(dir))
      expect(loaded.source).toBe(join(dir, winner))
      expect(loaded.jobs.map((j) => j.name)).toEqual([winner.replace(/[^a-z]/g, "x")])
    }
  )

  it("ignores a directory named like a config file", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml/keep": "", ".hookd.yml": oneJob("dotted") })
    expect((await loadOk(context(dir))).source).toBe(join(dir, ".hookd.yml"))
  })

  it("a hook that the config does not mention has no jobs", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": oneJob("lint") })
    expect((await loadOk(context(dir, { hook: "post-merge" }))).jobs).toEqual([])
  })

  it("an empty file is an empty config", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": "# nothing yet\n" })
    expect(await loadOk(context(dir))).toEqual({ source: join(dir, "hookd.yml"), jobs: [], policy: DEFAULT_POLICY })
  })
})

describe("anchors and aliases", () => {
  it("an alias is a copy of the last node anchored with its name before it", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": `hooks:
  pre-commit:
    jobs:
      - name: a
        run: echo a
        env: &env { A: "1" }
        tags: &tags [one]
      - name: b
        run: echo b
        env: *env
        tags: *tags
      - name: c
        run: echo c
        env: &env { C: "3" }
        tags: *tags
      - name: d
        run: echo d
        env: *env
`
    })
    const jobs = (await loadOk(context(dir))).jobs
    expect(jobs.map((j) => [j.name, j.env, j.tags])).toEqual([
      ["a", { A: "1" }, ["one"]],
      ["b", { A: "1" }, ["one"]],
      ["c", { C: "3" }, ["one"]],
      ["d", { C: "3" }, undefined]
    ])
  })
})

describe("hookd-local.yml", () => {
  const base = `hooks:
  pre-commit:
    background: false
    jobs:
      - name: lint
        run: npm run lint
        env: { A: "1", B: "2" }
        tags: [check, slow]
      - name: test
        run: npm test
`
  it("overrides keys of same-named jobs, merges maps, replaces lists and appends new jobs", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": base,
      "hookd-local.yml": `hooks:
  pre-commit:
    jobs:
      - name: lint
        run: npm run lint:fast
        env: { B: "3", C: "4" }
        tags: [check]
      - name: mine
        run: echo mine
`
    })
    const loaded = await loadOk(context(dir))
    expect(loaded.source).toBe(join(dir, "hookd.yml"))
    expect(loaded.jobs).toEqual([
      { name: "lint", run: "npm run lint:fast", background: false, env: { A: "1", B: "3", C: "4" }, tags: ["check"] },
      { name: "test", run: "npm test", background: false },
      { name: "mine", run: "echo mine", background: false }
    ])
  })

  it("can skip a committed job and change hook and log settings", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": `log:\n  keep_last: 5\n${base}`,
      "hookd-local.yml": "log:\n  retention: 1d\nhooks:\n  pre-commit:\n    background: true\n    jobs:\n      - name: test\n        skip: true\n"
    })
    const loaded = await loadOk(context(dir))
    expect(loaded.jobs.map((j) => [j.name, j.background, j.skip_reason])).toEqual([
      ["lint", true, undefined],
      ["test", true, "skip: true"]
    ])
    expect(loaded.policy).toEqual({ ...DEFAULT_POLICY, keep_last: 5, retention_secs: 86_400 })
  })

  it("is read beside the config file found, not from the worktree root", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      ".config/hookd.yml": oneJob("lint"),
      ".config/hookd-local.yml": "hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        run: echo local\n",
      "hookd-local.yml": "hooks:\n  pre-commit:\n    jobs:\n      - name: lint\n        run: echo wrong\n"
    })
    expect((await loadOk(context(dir))).jobs.map((j) => j.run)).toEqual(["echo local"])
  })

  it("alone, without a config file, is ignored", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd-local.yml": oneJob("lint") })
    expect((await loadOk(context(dir))).source).toBeUndefined()
  })
})

describe("JobSpec conversion", () => {
  it("converts units and keeps every key", async () => {
    const dir = tempDir()
    writeFiles(dir, {
      "hookd.yml": `hooks:
  post-checkout:
    background: true
    jobs:
      - name: install
        run: npm install
        tags: [deps]
      - name: build
        run: npm run build
        needs: [install]
        timeout: 10m
        env: { NODE_ENV: development, RETRIES: 3, VERBOSE: true }
        cwd: packages/web
        log: { sampling_every_nth: 2, max_size: 10MB, retention: 1d }
      - name: forever
        run: sleep 1
        timeout: 0
        background: false
      - name: seconds
        run: "true"
        timeout: 45
`
    })
    const loaded = await loadOk(context(dir, { hook: "post-checkout" }))
    expect(loaded.jobs).toEqual([
      { name: "install", run: "npm install", background: true, tags: ["deps"] },
      {
        name: "build",
        run: "npm run build",
        background: true,
        needs: ["install"],
        timeout_ms: 600_000,
        env: { NODE_ENV: "development", RETRIES: "3", VERBOSE: "true" },
        cwd: "packages/web",
        log: { sampling_every_nth: 2, max_bytes: 10_000_000, retention_secs: 86_400 }
      },
      { name: "forever", run: "sleep 1", background: false, timeout_ms: 0 },
      { name: "seconds", run: "true", background: true, timeout_ms: 45_000 }
    ])
  })
})

describe("mode", () => {
  const config = `hooks:
  pre-push:
    background: true
    jobs:
      - name: a
        run: "true"
      - name: b
        run: "true"
        background: false
      - name: c
        run: "true"
`
  it.each([
    ["auto", [true, false, true]],
    ["foreground", [false, false, false]],
    ["background", [true, true, true]]
  ] as const)("%s gives background %j", async (mode, expected) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config })
    const loaded = await loadOk(context(dir, { hook: "pre-push", mode }))
    expect(loaded.jobs.map((j) => j.background)).toEqual(expected)
  })

  it("a hook's jobs are foreground unless it says otherwise", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": oneJob("lint") })
    expect((await loadOk(context(dir))).jobs[0].background).toBe(false)
  })
})

describe("policy (log: block)", () => {
  it("defaults to 7d / 3 / 500MB / 24h", () => {
    expect(DEFAULT_POLICY).toEqual({
      retention_secs: 604_800,
      keep_last: 3,
      max_total_bytes: 500_000_000,
      stale_running_after_secs: 86_400
    })
  })

  it("takes every key from the log: block", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": "log:\n  retention: 30d\n  keep_last: 0\n  max_total_size: 1GiB\n  stale_running_after: 2h\n" })
    expect((await loadOk(context(dir))).policy).toEqual({
      retention_secs: 30 * 86_400,
      keep_last: 0,
      max_total_bytes: 2 ** 30,
      stale_running_after_secs: 7200
    })
  })

  it("fills what the block leaves out, and an empty log: is all defaults", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": "log:\n  max_total_size: 2000\n" })
    expect((await loadOk(context(dir))).policy).toEqual({ ...DEFAULT_POLICY, max_total_bytes: 2000 })
    writeFiles(dir, { "hookd.yml": "log:\n" })
    expect((await loadOk(context(dir))).policy).toEqual(DEFAULT_POLICY)
  })
})
