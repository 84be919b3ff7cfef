// hookd as a team adds it to a project (issue 10 item 9): `npm pack` of this checkout, installed as a
// devDependency into a fresh project with no build step, gives working `npx hookctl` and `npx hookd`;
// `npx hookctl hooks install` writes shims that run a job on a real `git commit`.
//
// The install is offline, against the npm cache this machine already has. The consumer project
// carries a package-lock.json (as a team's repository does), seeded from this checkout's lock with
// the run-time dependencies only: npm then takes each tarball from the cache by its integrity and
// needs no registry metadata, which the cache may not hold. When even that cannot resolve (a
// machine whose cache lacks those tarballs), the install test is skipped with the reason — never
// passed.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { git, makeGitRepo } from "../support/git"
import { awaitProcessGone } from "../support/processes"
import { runCommand, type RunResult } from "../support/run"
import { makeSandbox, REPO_ROOT, type Sandbox } from "../support/supervisor"

interface PackageJson {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly files?: ReadonlyArray<string>
  readonly bin: Record<string, string>
  readonly engines: Record<string, string>
  readonly dependencies: Record<string, string>
  readonly scripts: Record<string, string>
}
interface LockEntry {
  readonly dev?: boolean
  readonly devOptional?: boolean
  readonly [key: string]: unknown
}

const ownPackage = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as PackageJson
const ownLock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> }
/** npm's own cache, looked up before the sandbox moves HOME (which would move the cache with it). */
const npmCache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim()

let sandbox: Sandbox
let npmEnv: Record<string, string>
let tarball: string
let packedFiles: ReadonlyArray<string>

beforeAll(async () => {
  sandbox = makeSandbox()
  npmEnv = { ...sandbox.env, npm_config_cache: npmCache, npm_config_update_notifier: "false", npm_config_loglevel: "error" }
  mkdirSync(sandbox.env.HOME, { recursive: true })
  // dist/ was built by the global setup; --ignore-scripts keeps `prepack` from rebuilding it under
  // the feet of the other black-box tests that are running it.
  const packed = await runCommand("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", sandbox.dir], { cwd: REPO_ROOT, env: npmEnv })
  if (packed.code !== 0) throw new Error(`npm pack exited ${packed.code}: ${packed.stderr}`)
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  tarball = join(sandbox.dir, info.filename)
  packedFiles = info.files.map((f) => f.path)
})

afterAll(() => sandbox?.cleanup())

describe("the package's manifest", () => {
  it("is publishable and names only what runs", () => {
    expect(ownPackage.private).toBeUndefined()
    expect(existsSync(join(REPO_ROOT, "LICENSE"))).toBe(true)
    expect(ownPackage.scripts.prepack).toContain("bundle.mjs")
  })

  it("packs the bundles, the bins, migrations, unit templates, README and LICENSE — no sources, tests or source maps", () => {
    for (const needed of [
      "bin/hookd",
      "bin/hookctl",
      "dist/hookd.mjs",
      "dist/hookd.cjs",
      "bin/package.json",
      "dist/hookctl.cjs",
      "dist/hookctl-status.cjs",
      "dist/hookctl-ls.cjs",
      "dist/hookctl-run-hook.cjs",
      "dist/yaml-worker.mjs",
      "schema/migrations/001_initial.sql",
      "schema/config.json",
      "systemd/hookd.service",
      "systemd/hookd.socket",
      "launchd/dev.hookd.supervisor.plist",
      "README.md",
      "LICENSE",
      "package.json"
    ]) {
      expect(packedFiles).toContain(needed)
    }
    const unwanted = packedFiles.filter((f) => /^(src|test|bench|node_modules|\.ci)\//.test(f) || f.endsWith(".map") || f === "dist/gen-schema.mjs")
    expect(unwanted).toEqual([])
  })

  it("depends at run time only on what the bundles leave external (effect is bundled)", () => {
    expect(Object.keys(ownPackage.dependencies).sort()).toEqual(["node-sqlite3-wasm", "yaml"])
  })
})

describe("installed into a fresh project as a devDependency", () => {
  let project: string
  let installed: RunResult

  beforeAll(async () => {
    project = makeGitRepo(join(sandbox.dir, "consumer"), sandbox.env)
    const dependency = `file:${tarball}`
    const runtimeEntries = Object.fromEntries(
      Object.entries(ownLock.packages)
        .filter(([path, entry]) => path.startsWith("node_modules/") && entry.dev !== true && entry.devOptional !== true)
        .map(([path, entry]) => [path, { ...entry, dev: true }])
    )
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", version: "1.0.0", private: true, devDependencies: { hookd: dependency } }, null, 2)
    )
    writeFileSync(
      join(project, "package-lock.json"),
      JSON.stringify(
        {
          name: "consumer",
          version: "1.0.0",
          lockfileVersion: 3,
          requires: true,
          packages: {
            "": { name: "consumer", version: "1.0.0", devDependencies: { hookd: dependency } },
            "node_modules/hookd": {
              version: ownPackage.version,
              resolved: dependency,
              dev: true,
              dependencies: ownPackage.dependencies,
              bin: ownPackage.bin,
              engines: ownPackage.engines
            },
            ...runtimeEntries
          }
        },
        null,
        2
      )
    )
    installed = await runCommand("npm", ["install", "--offline", "--no-audit", "--no-fund"], { cwd: project, env: npmEnv })
  }, 120_000)

  afterAll(async () => {
    if (installed?.code !== 0) return
    const status = await runCommand("npx", ["--no-install", "hookctl", "status", "--json"], { cwd: project, env: { ...npmEnv, HOOKD_NO_AUTOSTART: "1" } })
    if (status.code !== 0) return
    const { pid } = JSON.parse(status.stdout) as { pid: number }
    await runCommand("npx", ["--no-install", "hookctl", "shutdown"], { cwd: project, env: { ...npmEnv, HOOKD_NO_AUTOSTART: "1" } })
    await awaitProcessGone(pid).catch(() => process.kill(pid, "SIGKILL"))
  })

  const skipUnlessInstalled = (skip: (note?: string) => void): void => {
    if (installed.code === 0) return
    const offline = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|only-if-cached/.test(installed.stderr)
    if (!offline) throw new Error(`npm install of the packed tarball exited ${installed.code}:\n${installed.stderr}`)
    const note = `skipped: npm could not install the packed tarball offline (the local npm cache lacks a dependency):\n${installed.stderr}`
    process.stderr.write(`[package-install] ${note}\n`)
    skip(note)
  }

  it("gives working `npx hookctl` and `npx hookd` with no build step", async ({ skip }) => {
    skipUnlessInstalled(skip)
    expect(existsSync(join(project, "node_modules", "hookd", "dist", "hookd.mjs"))).toBe(true)
    // Nothing the bundles already contain was installed.
    expect(existsSync(join(project, "node_modules", "effect"))).toBe(false)
    for (const bin of ["hookctl", "hookd"]) {
      const version = await runCommand("npx", ["--no-install", bin, "--version"], { cwd: project, env: npmEnv })
      expect({ bin, code: version.code, stderr: version.stderr }).toEqual({ bin, code: 0, stderr: "" })
      expect(version.stdout.trim()).toContain(ownPackage.version)
    }
  })

  it("installs the hooks with `npx hookctl hooks install`, and a `git commit` runs the job", async ({ skip }) => {
    skipUnlessInstalled(skip)
    writeFileSync(
      join(project, "hookd.yml"),
      "hooks:\n  pre-commit:\n    jobs:\n      - name: check\n        run: echo checked-by-hookd && touch ran.marker\n"
    )
    const hooks = await runCommand("npx", ["--no-install", "hookctl", "hooks", "install"], { cwd: project, env: npmEnv })
    expect({ code: hooks.code, stderr: hooks.stderr }).toEqual({ code: 0, stderr: "" })
    // The shim runs the installed package, not this checkout.
    const shim = readFileSync(join(project, ".git", "hooks", "pre-commit"), "utf8")
    expect(shim).toContain(join(project, "node_modules", "hookd", "bin", "hookctl"))

    git(project, ["add", "hookd.yml", "package.json", "package-lock.json"], sandbox.env)
    const commit = await runCommand("git", ["commit", "-q", "-m", "add hookd"], { cwd: project, env: npmEnv })
    expect({ code: commit.code, stderr: commit.stderr }).toMatchObject({ code: 0 })
    expect(commit.stdout + commit.stderr).toContain("checked-by-hookd")
    expect(existsSync(join(project, "ran.marker"))).toBe(true)
  })
})
