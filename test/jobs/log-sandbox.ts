// A temp directory and a job log path per test, for the JobLog and tail tests: registered by the
// test file that calls it (no state kept here between files), logs opened through it closed after.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Deferred from "effect/Deferred"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import { afterEach, beforeEach } from "vitest"
import { JobLog, type JobLogOptions } from "../../src/jobs/job-log"
import type { LogRecord } from "../../src/protocol/types"

export const useJobLogDir = (prefix: string, ...logPathInDir: ReadonlyArray<string>) => {
  const open: Array<JobLog> = []
  const paths = { dir: "", logPath: "" }
  beforeEach(() => {
    paths.dir = mkdtempSync(join(tmpdir(), prefix))
    paths.logPath = join(paths.dir, ...logPathInDir)
  })
  afterEach(() => {
    for (const log of open.splice(0)) log.close()
    rmSync(paths.dir, { recursive: true, force: true })
  })
  return {
    get dir() {
      return paths.dir
    },
    get logPath() {
      return paths.logPath
    },
    openLog: (options: JobLogOptions = {}) => {
      const log = JobLog.open(paths.logPath, options)
      open.push(log)
      return log
    },
    /** The file's records, parsed line by line. */
    readRecords: (): Array<LogRecord> =>
      readFileSync(paths.logPath, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l))
  }
}

/** Completes once a follower watches the live log, running `then` right after it started watching. */
export const whenSubscribed = (log: JobLog, then: () => void = () => {}) => {
  const subscribed = Deferred.unsafeMake<void>(FiberId.none)
  const watch = log.watch.bind(log)
  log.watch = (onGrow, onClose) => {
    const unsubscribe = watch(onGrow, onClose)
    then()
    Deferred.unsafeDone(subscribed, Exit.void)
    return unsubscribe
  }
  return Deferred.await(subscribed)
}
