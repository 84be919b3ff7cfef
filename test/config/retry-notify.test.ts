// The `retry:` (issue 12 item 8) and `notify:` (item 3) keys: per job and as a hook-level default, converted into the
// JobSpec's retry; every bad value is an error at its line that says what is allowed.
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { context, loadError, loadOk, tempDir, writeFiles } from "./support"

const config = (hookExtra: string, jobExtra: string) => `hooks:
  pre-commit:${hookExtra}
    jobs:
      - name: flaky
        run: "true"${jobExtra}
      - { name: plain, run: "true" }
`

const retries = async (hookExtra: string, jobExtra: string) => {
  const dir = tempDir()
  writeFiles(dir, { "hookd.yml": config(hookExtra, jobExtra) })
  const loaded = await loadOk(context(dir))
  return Object.fromEntries(loaded.jobs.map((j) => [j.name, j.retry]))
}

describe("retry", () => {
  it.each([
    ["none", "", "", { flaky: undefined, plain: undefined }],
    ["a job's", "", "\n        retry: { attempts: 3, backoff: 100ms }", { flaky: { attempts: 3, backoff_ms: 100 }, plain: undefined }],
    ["backoff defaults to 5s", "", "\n        retry: { attempts: 2 }", { flaky: { attempts: 2, backoff_ms: 5000 }, plain: undefined }],
    ["a number backoff is seconds", "", "\n        retry: { attempts: 2, backoff: 2 }", { flaky: { attempts: 2, backoff_ms: 2000 }, plain: undefined }],
    ["backoff 0 retries at once", "", "\n        retry: { attempts: 2, backoff: 0 }", { flaky: { attempts: 2, backoff_ms: 0 }, plain: undefined }],
    ["the hook's default for every job", "\n    retry: { attempts: 4, backoff: 1s }", "", { flaky: { attempts: 4, backoff_ms: 1000 }, plain: { attempts: 4, backoff_ms: 1000 } }],
    [
      "a job's own wins over the hook's",
      "\n    retry: { attempts: 4, backoff: 1s }",
      "\n        retry: { attempts: 2, backoff: 3s }",
      { flaky: { attempts: 2, backoff_ms: 3000 }, plain: { attempts: 4, backoff_ms: 1000 } }
    ],
    ["attempts: 1 turns a hook's retry off for one job", "\n    retry: { attempts: 4 }", "\n        retry: { attempts: 1 }", { flaky: undefined, plain: { attempts: 4, backoff_ms: 5000 } }],
    ["the most attempts, the longest backoff", "", "\n        retry: { attempts: 10, backoff: 5m }", { flaky: { attempts: 10, backoff_ms: 300_000 }, plain: undefined }]
  ])("%s", async (_, hookExtra, jobExtra, expected) => {
    expect(await retries(hookExtra, jobExtra)).toEqual(expected)
  })

  it.each([
    ["attempts 0", "retry: { attempts: 0 }", "hooks.pre-commit.jobs[0].retry.attempts", /1 to 10 \(1 turns retry off\), got 0/],
    ["attempts 11", "retry: { attempts: 11 }", "hooks.pre-commit.jobs[0].retry.attempts", /1 to 10.*got 11/],
    ["attempts 2.5", "retry: { attempts: 2.5 }", "hooks.pre-commit.jobs[0].retry.attempts", /whole number of runs/],
    ["attempts as text", "retry: { attempts: three }", "hooks.pre-commit.jobs[0].retry.attempts", /number|three/],
    ["attempts missing", "retry: { backoff: 5s }", "hooks.pre-commit.jobs[0].retry.attempts", /missing|required/i],
    ["a bare number", "retry: 3", "hooks.pre-commit.jobs[0].retry", /expected \{attempts: 2 to 10, backoff: a duration up to 5m\}.*got 3/],
    ["backoff not a duration", "retry: { attempts: 3, backoff: soon }", "hooks.pre-commit.jobs[0].retry.backoff", /expected a duration like 500ms.*got "soon"/],
    ["backoff over 5m", "retry: { attempts: 3, backoff: 10m }", "hooks.pre-commit.jobs[0].retry.backoff", /at most 5m, got "10m"/],
    ["an unknown key", "retry: { attempts: 3, delay: 5s }", "hooks.pre-commit.jobs[0].retry.delay", /attempts, backoff/]
  ])("%s is an error at its line", async (_, line, path, message) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config("", `\n        ${line}`) })
    const error = await loadError(context(dir))
    expect(error.file).toBe(join(dir, "hookd.yml"))
    expect(error.line).toBe(6)
    expect(error.path).toBe(path)
    expect(error.message).toMatch(message)
  })

  it("a bad hook-level retry names the hook's key", async () => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config("\n    retry: { attempts: -1 }", "") })
    const error = await loadError(context(dir))
    expect([error.line, error.path]).toEqual([3, "hooks.pre-commit.retry.attempts"])
  })
})

describe("notify", () => {
  const notifies = async (hookExtra: string, jobExtra: string) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config(hookExtra, jobExtra) })
    const loaded = await loadOk(context(dir))
    return Object.fromEntries(loaded.jobs.map((j) => [j.name, j.notify]))
  }

  it.each([
    ["none", "", "", { flaky: undefined, plain: undefined }],
    ["a job's", "", "\n        notify: true", { flaky: true, plain: undefined }],
    ["false is the default", "", "\n        notify: false", { flaky: undefined, plain: undefined }],
    ["the hook's default for every job", "\n    notify: true", "", { flaky: true, plain: true }],
    ["a job's false wins over the hook's true", "\n    notify: true", "\n        notify: false", { flaky: undefined, plain: true }]
  ])("%s", async (_, hookExtra, jobExtra, expected) => {
    expect(await notifies(hookExtra, jobExtra)).toEqual(expected)
  })

  it.each([
    ["job", "", "\n        notify: yes please", 6, "hooks.pre-commit.jobs[0].notify"],
    ["hook", "\n    notify: 1", "", 3, "hooks.pre-commit.notify"]
  ])("a %s notify that is not true or false is an error at its line", async (_, hookExtra, jobExtra, line, path) => {
    const dir = tempDir()
    writeFiles(dir, { "hookd.yml": config(hookExtra, jobExtra) })
    const error = await loadError(context(dir))
    expect([error.line, error.path]).toEqual([line, path])
    expect(error.message).toMatch(/expected true or false \(a desktop notification when the job fails\)/)
  })
})
