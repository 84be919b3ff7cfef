// `inputs:` and `outputs:` job keys: both forms load into the JobSpec; every bad value is a
// ConfigInvalid at its file, line and path.
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { context, loadError, loadOk, tempDir, writeFiles } from "./support"

const withJobLines = (...lines: string[]) =>
  ["hooks:", "  post-checkout:", "    jobs:", "      - name: install", "        run: npm install", ...lines.map((l) => `        ${l}`), ""].join("\n")

const load = async (yaml: string) => {
  const dir = tempDir()
  writeFiles(dir, { "hookd.yml": yaml })
  return { dir, loaded: await loadOk(context(dir, { hook: "post-checkout" })) }
}

const invalid = async (yaml: string) => {
  const dir = tempDir()
  writeFiles(dir, { "hookd.yml": yaml })
  return { dir, error: await loadError(context(dir, { hook: "post-checkout" })) }
}

describe("inputs and outputs in hookd.yml", () => {
  it("a list of paths/globs is the files form", async () => {
    const { loaded } = await load(withJobLines("inputs: [package-lock.json, \"proto/**/*.proto\"]", "outputs: [node_modules]"))
    expect(loaded.jobs).toEqual([
      {
        name: "install",
        run: "npm install",
        background: false,
        inputs: { files: ["package-lock.json", "proto/**/*.proto"], env: [] },
        outputs: ["node_modules"]
      }
    ])
  })

  it("{files, env} names environment variables whose values count too", async () => {
    const { loaded } = await load(withJobLines("inputs:", "  files: [package-lock.json]", "  env: [NODE_VERSION]"))
    expect(loaded.jobs[0]!.inputs).toEqual({ files: ["package-lock.json"], env: ["NODE_VERSION"] })
  })

  it("{env} alone and an empty list are allowed (the key is then the command, cwd and env)", async () => {
    expect((await load(withJobLines("inputs: { env: [CI] }"))).loaded.jobs[0]!.inputs).toEqual({ files: [], env: ["CI"] })
    expect((await load(withJobLines("inputs: []"))).loaded.jobs[0]!.inputs).toEqual({ files: [], env: [] })
  })

  it("a job without inputs has none in its spec", async () => {
    expect((await load(withJobLines())).loaded.jobs[0]).not.toHaveProperty("inputs")
  })

  it.each([
    ["inputs: [/etc/passwd]", "hooks.post-checkout.jobs[0].inputs[0]", /input "\/etc\/passwd" must be a path or glob relative to the worktree/],
    ["inputs: [../other/package-lock.json]", "hooks.post-checkout.jobs[0].inputs[0]", /relative to the worktree/],
    ["inputs: [\"\"]", "hooks.post-checkout.jobs[0].inputs[0]", /relative to the worktree/],
    ["inputs: package-lock.json", "hooks.post-checkout.jobs[0].inputs", /expected a list of paths\/globs relative to the worktree, or \{files: \[\.\.\.\], env: \[NAME, \.\.\.\]\}/],
    ["inputs: [1]", "hooks.post-checkout.jobs[0].inputs[0]", /expected a string/],
    ["inputs: { files: [a], env: [\"NOT-A-NAME\"] }", "hooks.post-checkout.jobs[0].inputs.env[0]", /invalid environment variable name "NOT-A-NAME"/],
    ["inputs: { files: [\"/abs\"] }", "hooks.post-checkout.jobs[0].inputs.files[0]", /relative to the worktree/],
    ["inputs: { file: [a] }", "hooks.post-checkout.jobs[0].inputs.file", /unknown key "file" \(did you mean "files"\?\); allowed keys: files, env/],
    ["outputs: node_modules", "hooks.post-checkout.jobs[0].outputs", /expected a list/],
    ["outputs: [/tmp/x]", "hooks.post-checkout.jobs[0].outputs[0]", /output "\/tmp\/x" must be a path relative to the worktree/],
    ["inptus: [a]", "hooks.post-checkout.jobs[0].inptus", /unknown key "inptus" \(did you mean "inputs"\?\)/]
  ])("%s → %s", async (line, path, message) => {
    const { dir, error } = await invalid(withJobLines(line))
    expect(error.file).toBe(join(dir, "hookd.yml"))
    expect(error.path).toBe(path)
    expect(error.message).toMatch(message)
    expect(error.line).toBeGreaterThanOrEqual(6)
  })

  it("the line of a bad item in a block list is that item's line", async () => {
    const { error } = await invalid(withJobLines("inputs:", "  files:", "    - package-lock.json", "    - ../up"))
    expect(error.line).toBe(9)
    expect(error.path).toBe("hooks.post-checkout.jobs[0].inputs.files[1]")
  })
})
