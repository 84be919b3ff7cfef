// The flow keys of issue 12 in the loader: `file_checkouts` (post-checkout runs only for branch
// switches unless a hook opts in) and `HOOKD_SKIP=a,b` from the hook's environment.
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { context, loadError, loadOk, reasons, tempDir, writeFiles } from "./support"

const checkoutConfig = (extra = "") => `hooks:
  post-checkout:
    background: true${extra}
    jobs:
      - { name: install, run: "true" }
      - { name: build, run: "true", needs: [install] }
`
/** git's post-checkout arguments: previous HEAD, new HEAD, 1 = branch checkout / 0 = file checkout. */
const checkoutArgs = (flag: string) => ["a".repeat(40), "b".repeat(40), flag]

describe("post-checkout for file checkouts", () => {
  it.each([
    ["a branch checkout runs", "", "1", undefined],
    ["a file checkout is skipped by default", "", "0", "file checkout"],
    ["file_checkouts: true runs for a file checkout", "\n    file_checkouts: true", "0", undefined],
    ["file_checkouts: false is the default", "\n    file_checkouts: false", "0", "file checkout"],
    ["file_checkouts: true still runs for a branch checkout", "\n    file_checkouts: true", "1", undefined]
  ])("%s", async (_, extra, flag, reason) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": checkoutConfig(extra) })
    const loaded = await loadOk(context(dir, { hook: "post-checkout", args: checkoutArgs(flag) }))
    expect(reasons(loaded)).toEqual({ install: reason, build: reason })
  })

  it("without a third argument (run-hook by hand) the jobs run", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": checkoutConfig() })
    expect(reasons(await loadOk(context(dir, { hook: "post-checkout", args: [] })))).toEqual({ install: undefined, build: undefined })
  })

  it("the third argument 0 means nothing for other hooks", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": 'hooks:\n  post-merge:\n    jobs:\n      - { name: a, run: "true" }\n' })
    expect(reasons(await loadOk(context(dir, { hook: "post-merge", args: ["x", "y", "0"] })))).toEqual({ a: undefined })
  })

  it("file_checkouts on another hook is an error at its line", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": 'hooks:\n  post-merge:\n    file_checkouts: true\n    jobs:\n      - { name: a, run: "true" }\n' })
    const error = await loadError(context(dir, { hook: "post-merge" }))
    expect([error.file, error.line, error.path]).toEqual([join(dir, "hookd.yml"), 3, "hooks.post-merge.file_checkouts"])
    expect(error.message).toMatch(/only to post-checkout/)
  })

  it("file_checkouts must be true or false", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": checkoutConfig("\n    file_checkouts: yes please") })
    const error = await loadError(context(dir, { hook: "post-checkout" }))
    expect([error.line, error.path]).toEqual([4, "hooks.post-checkout.file_checkouts"])
    expect(error.message).toMatch(/true or false|boolean/)
  })
})

describe("HOOKD_SKIP", () => {
  const config = `hooks:
  pre-commit:
    jobs:
      - { name: lint, run: "true" }
      - { name: types, run: "true" }
      - { name: test, run: "true" }
      - { name: after, run: "true", needs: [lint] }
`
  it.each([
    ["lint,types", { lint: "HOOKD_SKIP", types: "HOOKD_SKIP", test: undefined, after: undefined }],
    [" lint , ,nosuchjob", { lint: "HOOKD_SKIP", types: undefined, test: undefined, after: undefined }],
    ["", { lint: undefined, types: undefined, test: undefined, after: undefined }]
  ])("HOOKD_SKIP=%j", async (value, expected) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config })
    expect(reasons(await loadOk(context(dir, { env: { HOOKD_SKIP: value } })))).toEqual(expected)
  })

  it("a hook-level reason wins (it explains the whole invocation)", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": checkoutConfig() })
    const loaded = await loadOk(context(dir, { hook: "post-checkout", args: checkoutArgs("0"), env: { HOOKD_SKIP: "install" } }))
    expect(reasons(loaded)).toEqual({ install: "file checkout", build: "file checkout" })
  })
})

describe("concurrency", () => {
  const config = `hooks:
  post-checkout:
    background: true
    concurrency: queue
    jobs:
      - { name: install, run: "true" }
      - { name: build, run: "true", concurrency: skip }
  pre-commit:
    jobs:
      - { name: lint, run: "true" }
      - { name: types, run: "true", concurrency: replace }
`
  it("a job's key wins over its hook's default; absent means the runner's default (by background)", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config })
    const of = async (hook: string) =>
      Object.fromEntries((await loadOk(context(dir, { hook, args: checkoutArgs("1") }))).jobs.map((j) => [j.name, j.concurrency]))
    expect(await of("post-checkout")).toEqual({ install: "queue", build: "skip" })
    expect(await of("pre-commit")).toEqual({ lint: undefined, types: "replace" })
  })

  it.each([
    ["a job", 'hooks:\n  pre-commit:\n    jobs:\n      - name: a\n        run: "true"\n        concurrency: newest\n', 6, "hooks.pre-commit.jobs[0].concurrency"],
    ["a hook", 'hooks:\n  pre-commit:\n    concurrency: serial\n    jobs:\n      - { name: a, run: "true" }\n', 3, "hooks.pre-commit.concurrency"]
  ])("an unknown policy on %s is an error at its line naming the policies", async (_, text, line, path) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": text })
    const error = await loadError(context(dir))
    expect([error.line, error.path]).toEqual([line, path])
    expect(error.message).toMatch(/expected replace, queue, skip or parallel, got "(newest|serial)"/)
  })
})
