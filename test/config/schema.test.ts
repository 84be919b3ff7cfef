// The SPEC's own example is valid, and the schema turns into a JSON Schema (schema/config.json).
import { JSONSchema } from "effect"
import { describe, expect, it } from "vitest"
import { DEFAULT_POLICY } from "../../src/config/load"
import { GIT_HOOK_NAMES, HookdConfigSchema } from "../../src/config/schema"
import { context, git, gitRepo, loadOk, reasons, tempDir, writeFiles } from "./support"

const SPEC_EXAMPLE = `log:                       # repo defaults
  retention: 7d            # per job, default 7d
  keep_last: 3             # invocations per worktree always kept
  max_total_size: 500MB    # per repo budget
  stale_running_after: 24h
hooks:
  post-checkout:
    background: true       # default for the jobs of this hook
    jobs:
      - name: install
        run: npm install
        tags: [deps]
      - name: build
        run: npm run build
        needs: [install]
        timeout: 10m
        env: { NODE_ENV: development }
        cwd: packages/web
        log: { sampling_every_nth: 1, max_size: 10MB, retention: 1d }
  pre-commit:
    jobs:                  # foreground: the commit waits and fails with them
      - name: lint
        run: npm run lint -- {staged_files}
        skip: [merge, rebase, { env: CI }, { ref: "release/*" }]
`

describe("the SPEC §8 example", () => {
  it("loads post-checkout as written", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": SPEC_EXAMPLE })
    const loaded = await loadOk(context(dir, { hook: "post-checkout" }))
    expect(loaded.policy).toEqual(DEFAULT_POLICY)
    expect(loaded.jobs).toEqual([
      { name: "install", run: "npm install", background: true, tags: ["deps"] },
      {
        name: "build",
        run: "npm run build",
        background: true,
        needs: ["install"],
        timeout_ms: 600_000,
        env: { NODE_ENV: "development" },
        cwd: "packages/web",
        log: { sampling_every_nth: 1, max_bytes: 10_000_000, retention_secs: 86_400 }
      }
    ])
  })

  it("pre-commit lint runs on the staged files, and is skipped under CI", async () => {
    const dir = gitRepo()
    writeFiles(dir, { "hookd.yml": SPEC_EXAMPLE, "src/a b.ts": "x" })
    git(dir, "add", "src/a b.ts")
    expect((await loadOk(context(dir))).jobs).toEqual([
      { name: "lint", run: "npm run lint -- 'src/a b.ts'", background: false }
    ])
    expect(reasons(await loadOk(context(dir, { env: { CI: "true" } })))).toEqual({ lint: "skip: env CI" })
  })
})

describe("JSON Schema of the config", () => {
  const schema = JSONSchema.make(HookdConfigSchema) as { $defs: Record<string, any> }

  it("lists every git hook and refuses other keys", () => {
    const hooks = schema.$defs.HooksConfig
    expect(Object.keys(hooks.properties)).toEqual([...GIT_HOOK_NAMES])
    expect(hooks.additionalProperties).toBe(false)
  })

  it("describes a job with its keys, required name and run, and the job-name pattern", () => {
    const job = schema.$defs.JobConfig
    expect(Object.keys(job.properties)).toEqual(["name", "run", "cwd", "env", "needs", "tags", "background", "timeout", "log", "skip", "only", "concurrency", "retry", "notify", "inputs", "outputs", "limits"])
    expect(job.required).toEqual(["name", "run"])
    expect(job.additionalProperties).toBe(false)
    expect(JSON.stringify(schema.$defs.JobName)).toContain("A-Za-z0-9")
  })
})
