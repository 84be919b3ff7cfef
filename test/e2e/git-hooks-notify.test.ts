// `notify: true` through real git and a real supervisor (issue 12 item 3): a background job that
// fails after `git checkout` runs the notify-send on the PATH git ran the hook with (a fake one that
// records its arguments and DISPLAY), once.
import { chmodSync, existsSync, mkdirSync, readFileSync, watch, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect, it } from "vitest"
import { runGit } from "../support/git"
import { lsJson } from "../support/hookctl"
import type { Sandbox } from "../support/supervisor"
import { finished, repoWithHooks, useSupervisor } from "./helpers"

let sandbox: Sandbox

useSupervisor({}, (started) => ({ sandbox } = started))

/** Resolves once `name` appears in `dir` (fs.watch, no polling). */
const appears = (dir: string, name: string) =>
  new Promise<void>((resolve) => {
    const watcher = watch(dir, () => {
      if (existsSync(join(dir, name))) {
        watcher.close()
        resolve()
      }
    })
    if (existsSync(join(dir, name))) {
      watcher.close()
      resolve()
    }
  })

it("a failed background job with notify: true runs notify-send from git's PATH once, with its DISPLAY", async () => {
  const bin = join(sandbox.dir, "notify-bin")
  const out = join(sandbox.dir, "notify-out")
  mkdirSync(bin)
  mkdirSync(out)
  writeFileSync(join(bin, "notify-send"), `#!/bin/sh\n{ printf '%s\\n' "$@"; printf 'DISPLAY=%s\\n' "$DISPLAY"; } >> '${out}/part'\nmv '${out}/part' '${out}/notified'\n`)
  chmodSync(join(bin, "notify-send"), 0o755)
  const repo = await repoWithHooks(
    sandbox,
    join(sandbox.dir, "repo"),
    `hooks:\n  post-checkout:\n    background: true\n    notify: true\n    jobs:\n      - { name: install, run: "exit 4" }\n`
  )
  const env = { ...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`, DISPLAY: ":7" }
  const r = await runGit(repo, ["checkout", "-q", "-b", "feature"], env)
  expect(r.code, r.stderr).toBe(0)
  const [install] = await lsJson(sandbox, repo)
  expect((await finished(sandbox.socket, repo, install.invocation_id, "install")).status).toBe("failed")
  await appears(out, "notified")
  expect(readFileSync(join(out, "notified"), "utf8")).toBe(
    `--app-name=hookd\n--\nhookd: install failed (exit 4)\npost-checkout job — hookctl logs ${install.invocation_id.slice(0, 8)}:install\nDISPLAY=:7\n`
  )
})
