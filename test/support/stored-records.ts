// A job's log records as readers get them, read with no supervisor running: its output.jsonl, or —
// for a job that wrote no output, which has no file (issue 13, lazy logs) — those made from its row.
import { Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { recordsOfRow } from "../../src/domain/row-records"
import { jobLogPath, repoDbPath } from "../../src/protocol/paths"
import type { LogRecord } from "../../src/protocol/types"
import { openRepoStore } from "../../src/store/open"

export const storedRecords = async (stateDir: string, repoId: string, invocationId: string, name: string): Promise<LogRecord[]> => {
  const path = jobLogPath(stateDir, repoId, invocationId, name)
  if (existsSync(path)) {
    return readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as LogRecord)
  }
  const row = await Effect.runPromise(
    Effect.scoped(Effect.flatMap(openRepoStore({ dbPath: repoDbPath(stateDir, repoId), repoId, root: "" }), (s) => s.getJob(invocationId, name)))
  )
  if (row === undefined) throw new Error(`no job ${invocationId}/${name} in ${stateDir}`)
  return recordsOfRow(row)
}
