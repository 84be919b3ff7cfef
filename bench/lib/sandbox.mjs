// Temp directories, git repos and a real supervisor process for the benchmarks, like
// test/support/supervisor.ts does for the black-box tests: own HOOKD_STATE_DIR and HOOKD_SOCKET,
// so nothing touches the user's real supervisor.
import { execFileSync, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { firstAnswers } from "./framed-client.mjs"
import { withTimeout } from "./timing.mjs"

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
export const HOOKD_BUNDLE = join(ROOT, "dist", "hookd.mjs")
export const HOOKCTL_BIN = join(ROOT, "bin", "hookctl")

// What an interrupted run (Ctrl-C, a crash) must still undo, synchronously at exit: supervisors
// killed, peers' servers stopped (tsp -K, pm2 kill), sandboxes removed. Each entry deletes itself
// once undone the normal way.
const atExit = new Set()
/** Registers a synchronous undo step; returns the function that runs it now (once) and forgets it. */
export const onExit = (undo) => {
  const entry = () => {
    atExit.delete(entry)
    undo()
  }
  atExit.add(entry)
  return entry
}
process.once("exit", () => {
  for (const undo of [...atExit].reverse()) {
    try {
      undo()
    } catch {}
  }
})
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130))

export const makeSandbox = (extraEnv = {}) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "hookd-bench-")))
  const socket = join(dir, "run", "hookd.sock")
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: join(dir, "home"),
    XDG_STATE_HOME: join(dir, "xdg-state"),
    XDG_CONFIG_HOME: join(dir, "xdg-config"),
    HOOKD_STATE_DIR: join(dir, "state"),
    HOOKD_SOCKET: socket,
    HOOKD_NO_AUTOSTART: "1",
    HOOKD_KILL_GRACE_MS: "1000",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "bench",
    GIT_AUTHOR_EMAIL: "bench@example.com",
    GIT_COMMITTER_NAME: "bench",
    GIT_COMMITTER_EMAIL: "bench@example.com",
    NO_COLOR: "1",
    ...extraEnv
  }
  mkdirSync(env.HOME, { recursive: true })
  return { dir, socket, env, cleanup: onExit(() => rmSync(dir, { recursive: true, force: true })) }
}

export const git = (cwd, args, env) =>
  execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 })

/** `git init` on branch main with one commit (of `files`, if any); returns the real path. */
export const makeGitRepo = (sandbox, name, files = {}) => {
  const dir = join(sandbox.dir, name)
  mkdirSync(dir, { recursive: true })
  git(dir, ["init", "-q", "-b", "main"], sandbox.env)
  for (const [file, content] of Object.entries(files)) {
    execFileSync("sh", ["-c", 'cat > "$1"', "sh", join(dir, file)], { input: content })
  }
  if (Object.keys(files).length > 0) git(dir, ["add", "--", ...Object.keys(files)], sandbox.env)
  git(dir, ["commit", "-q", "--allow-empty", "-m", "init"], sandbox.env)
  return realpathSync(dir)
}

/**
 * Spawns `node dist/hookd.mjs` (or another build's `bundle`, to compare two) and resolves once it
 * logs "started" (and, with `firstAnswer`, once it answered a Hello: `answeredAt`); `spawnedAt` is
 * taken just before the spawn (performance.now() ms), so callers can time the start-up.
 */
export const startSupervisor = async (sandbox, { timeoutMs = 30_000, firstAnswer = false, bundle = HOOKD_BUNDLE, nodeArgs = [] } = {}) => {
  const spawnedAt = performance.now()
  const proc = spawn(process.execPath, [...nodeArgs, bundle], { env: sandbox.env, stdio: ["ignore", "pipe", "pipe"] })
  const killAtExit = onExit(() => proc.exitCode === null && proc.signalCode === null && proc.kill("SIGKILL"))
  proc.once("exit", () => atExit.delete(killAtExit))
  const answered = firstAnswer ? firstAnswers(sandbox.socket, timeoutMs) : Promise.resolve({})
  answered.catch(() => {}) // awaited below; a start that fails first must not leave it unhandled
  let output = ""
  proc.stdout.on("data", (d) => (output += d))
  proc.stderr.on("data", (d) => (output += d))
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal)))
  try {
    await withTimeout(
      new Promise((resolve, reject) => {
        const onData = () => {
          if (!output.includes('"event":"started"')) return
          proc.stderr.off("data", onData)
          resolve()
        }
        proc.stderr.on("data", onData)
        exited.then((code) => reject(new Error(`hookd exited (${code}) before it started: ${output.slice(-500)}`)))
      }),
      timeoutMs,
      "hookd start"
    )
  } catch (e) {
    proc.kill("SIGKILL")
    throw e
  }
  const startedAt = performance.now()
  let answeredAt, statusAt
  try {
    ;({ welcomeAt: answeredAt, statusAt } = await answered)
  } catch (e) {
    proc.kill("SIGKILL")
    throw e
  }
  return {
    pid: proc.pid,
    spawnedAt,
    startedAt,
    answeredAt,
    statusAt,
    exited,
    output: () => output,
    /** SIGTERM (graceful stop, SPEC §7), then SIGKILL if it is still there after the grace. */
    stop: async (graceMs = 10_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited
      proc.kill("SIGTERM")
      try {
        return await withTimeout(exited, graceMs, "hookd stop")
      } catch {
        proc.kill("SIGKILL")
        return exited
      }
    }
  }
}

/**
 * A sandbox of its own (`extraEnv` added, e.g. HOOKD_MAX_PARALLEL) with a supervisor started in it;
 * `close()` stops the supervisor and removes the sandbox.
 */
export const openSupervisor = async (extraEnv = {}) => {
  const sandbox = makeSandbox(extraEnv)
  try {
    const hookd = await startSupervisor(sandbox)
    return { sandbox, hookd, close: async () => (await hookd.stop(), sandbox.cleanup()) }
  } catch (e) {
    sandbox.cleanup()
    throw e
  }
}

/** Resident set size of a process in bytes (/proc, else `ps`), undefined when neither answers. */
export const rssOf = (pid) => {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    if (kib) return Number(kib) * 1024
  } catch {}
  try {
    return Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) * 1024 || undefined
  } catch {
    return undefined
  }
}
