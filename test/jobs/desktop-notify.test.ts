// `notify: true` (issue 12 item 3), in process: a failed job runs the notify-send found on its own
// PATH (a fake one here that records its arguments and environment), once, never for a job that
// completed or a job without notify; with no notify-send on PATH nothing happens, silently.
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { chmodSync, existsSync, mkdirSync, readFileSync, watch, writeFileSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { supervisorLogPath } from "../../src/protocol/paths"
import { harnessLayer, job, sandbox, startJobs } from "../support/harness"

/** A fake notify-send in `dir`: appends its arguments (one per line) and $DISPLAY to the record, then renames it into place. */
const fakeNotifySend = (dir: string, record: string) => {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, "notify-send")
  writeFileSync(path, `#!/bin/sh\n{ printf '%s\\n' "$@"; printf 'DISPLAY=%s\\n' "$DISPLAY"; } >> '${record}.part'\nmv '${record}.part' '${record}'\n`)
  chmodSync(path, 0o755)
}

/** Resolves once `path` exists (fs.watch on its directory, no polling). */
const untilExists = (path: string) =>
  Effect.async<void>((resume) => {
    const watcher = watch(dirname(path), (_, name) => {
      if (name === basename(path) && existsSync(path)) resume(Effect.void)
    })
    if (existsSync(path)) resume(Effect.void)
    return Effect.sync(() => watcher.close())
  })

describe("notify: true", () => {
  it.scopedLive("a failed job runs notify-send from its PATH once, with its environment; a completed one and one without notify never", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      const bin = join(box.dir, "bin")
      const record = join(box.dir, "notified")
      fakeNotifySend(bin, record)
      const env = { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ":42" }
      yield* Effect.gen(function* () {
        // Without notify: no notification, though notify-send is on its PATH.
        const quiet = yield* startJobs(box.repo, [job("quiet", "exit 1", { env })])
        expect(yield* Deferred.await(quiet.liveJob("quiet").done)).toEqual({ status: "failed" })
        // With notify: the completed job none, the failed one (which ran after it) one.
        const started = yield* startJobs(box.repo, [
          job("fine", "true", { env, notify: true }),
          job("broken", "exit 3", { env, notify: true, needs: ["fine"] })
        ])
        expect(yield* Deferred.await(started.liveJob("broken").done)).toEqual({ status: "failed" })
        yield* untilExists(record)
        expect(readFileSync(record, "utf8").split("\n")).toEqual([
          "--app-name=hookd",
          "--",
          "hookd: broken failed (exit 3)",
          `post-checkout job — hookctl logs ${started.invocationId.slice(0, 8)}:broken`,
          "DISPLAY=:42",
          ""
        ])
        expect(readFileSync(supervisorLogPath(box.stateDir), "utf8")).toContain('"desktop_notification"')
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))

  it.scopedLive("without notify-send on PATH a failed job with notify ends as usual, and nothing is shown or logged", () =>
    Effect.gen(function* () {
      const box = yield* sandbox
      const empty = join(box.dir, "empty-bin")
      mkdirSync(empty)
      yield* Effect.gen(function* () {
        const started = yield* startJobs(box.repo, [job("broken", "exit 3", { env: { PATH: empty }, notify: true }), job("after", "true", { env: { PATH: empty } })])
        expect(yield* Deferred.await(started.liveJob("broken").done)).toEqual({ status: "failed" })
        expect(yield* Deferred.await(started.liveJob("after").done)).toEqual({ status: "completed" })
        expect((yield* started.repo.store.getJob(started.invocationId, "broken"))).toMatchObject({ status: "failed", exit_code: 3, error: null })
        // Nothing at all may be logged (then there is no log file).
        const logPath = supervisorLogPath(box.stateDir)
        const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : ""
        expect(log).not.toContain("desktop_notification")
        expect(log).not.toMatch(/"level":"(ERROR|WARN)/i)
      }).pipe(Effect.provide(harnessLayer({ stateDir: box.stateDir })))
    }))
})
