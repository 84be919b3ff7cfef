// Shell completion scripts: bash sources cleanly and completes; zsh/fish mention every command.
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { COMMANDS } from "../../src/client/commands-spec"
import { completionScript } from "../../src/client/completion"
import { HOOKCTL_BIN, isolatedEnv, runHookctl, tempDir } from "./support"

const hasShell = (shell: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${shell}`], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/**
 * Runs the bash completion function for a command line (cursor at the end) and returns COMPREPLY.
 * It sources completionScript("bash") from a file, not `hookctl completion bash` again: that is the
 * same script (checked below), and a node start per call made this file time out at load 25.
 */
const bashComplete = (scriptFile: string, words: string[]): string[] => {
  const script = `
source ${JSON.stringify(scriptFile)}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")})
COMP_CWORD=${words.length - 1}
_hookctl
printf '%s\\n' "\${COMPREPLY[@]}"
`
  return execFileSync("bash", ["-c", script], { encoding: "utf8" }).split("\n").filter((l) => l !== "")
}

describe("hookctl completion", () => {
  const temp = tempDir("hookctl-completion-")
  afterAll(() => temp.cleanup())
  const bashScript = join(temp.dir, "hookctl.bash")
  writeFileSync(bashScript, completionScript("bash"))
  const complete = (words: string[]) => bashComplete(bashScript, words)

  it("bash: `source <(hookctl completion bash)` exits 0 and registers the function", () => {
    const out = execFileSync(
      "bash",
      ["-c", `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(HOOKCTL_BIN)} completion bash) && complete -p hookctl`],
      { encoding: "utf8" }
    )
    expect(out).toContain("-F _hookctl hookctl")
  })

  it("bash: completes command names, a command's flags, and fixed values", () => {
    expect(complete(["hookctl", "ru"])).toEqual(["run-hook"])
    expect(complete(["hookctl", ""]).sort()).toEqual(
      [...COMMANDS.map((c) => c.name), "--repo", "--help", "--version"].sort()
    )
    expect(complete(["hookctl", "logs", "x", "--fo"])).toEqual(["--follow"])
    expect(complete(["hookctl", "--repo", "/tmp", "ls", "--ts"])).toEqual(["--tsv"])
    expect(complete(["hookctl", "run-hook", "pre-commit", "--mode", "b"])).toEqual(["background"])
    expect(complete(["hookctl", "hooks", "un"])).toEqual(["uninstall"])
  })

  it("bash: `hookctl service install --d` completes --dry-run, and `service --help` shows it", async () => {
    expect(complete(["hookctl", "service", "install", "--d"])).toEqual(["--dry-run"])
    const help = await runHookctl(["service", "--help"], { cwd: temp.dir, env: isolatedEnv(join(temp.dir, "home")) })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("--dry-run")
  })

  it.each(["bash", "zsh", "fish"] as const)("%s: the script mentions every command and its flags", (shell) => {
    const script = completionScript(shell)
    expect(script.length).toBeGreaterThan(200)
    for (const command of COMMANDS) {
      expect(script).toContain(command.name)
      for (const flag of command.flags) expect(script).toContain(flag.name)
    }
  })

  it.each(["bash", "zsh", "fish"] as const)("%s: the built binary prints the script", async (shell) => {
    const r = await runHookctl(["completion", shell], { cwd: temp.dir, env: isolatedEnv(join(temp.dir, "home")) })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(completionScript(shell))
  })

  it.runIf(hasShell("zsh"))("zsh: the script parses", () => {
    execFileSync("zsh", ["-n", "-c", completionScript("zsh")])
  })

  it.runIf(hasShell("fish"))("fish: the script parses", () => {
    execFileSync("fish", ["--no-execute", "-c", completionScript("fish")])
  })
})
