// TailLogs: replay a job's log from since_seq, then (follow) live records until the terminal one.
import { Effect, Stream } from "effect"
import { recordsOfRow } from "../../domain/row-records"
import { tailJobLog, type TailError } from "../../jobs/tail"
import { jobLogPath } from "../../protocol/paths"
import { isTerminalStatus, response, type RequestPayloads, type ResponseEnvelope } from "../../protocol/types"
import type { Replier } from "../socket-server"
import { LogUnreadable } from "../errors"
import { knownRepo, resolveJob } from "../job-address"
import { JobRunner } from "../../jobs/runner"
import { Lifecycle } from "../../lifecycle/lifecycle"
import { Settings } from "../../settings/settings"

export const tailLogs = (request: RequestPayloads["TailLogs"], id: string | undefined, reply: Replier) =>
  Effect.gen(function* () {
    const runner = yield* JobRunner
    const settings = yield* Settings
    const lifecycle = yield* Lifecycle
    const repo = yield* knownRepo(request.job.repo_root)
    const found = yield* resolveJob(repo, request.job)
    const entry = runner.live(repo.repoId, found.invocation_id, found.name)
    // Not live but not final when it was read: it ended just now — its final row is what a job
    // without a log file is replayed from (row-records.ts).
    const row = entry === undefined && !isTerminalStatus(found.status) ? ((yield* repo.store.getJob(found.invocation_id, found.name)) ?? found) : found
    const frames = tailJobLog({
      path: jobLogPath(settings.stateDir, repo.repoId, row.invocation_id, row.name),
      live: entry?.log,
      rowRecords: () => recordsOfRow(row),
      follow: request.follow,
      ...(request.since_seq !== undefined ? { sinceSeq: request.since_seq } : {}),
      ...(request.kinds !== undefined ? { kinds: request.kinds } : {})
    }).pipe(Stream.map((record): ResponseEnvelope => response("StreamFrame", { record }, id)))
    // Supervisor shutdown ends open tails with reason "shutdown": one race for the whole tail (a
    // Stream.interruptWhen races every pull, some 50 KB of garbage per chunk; issue 14 item 5).
    // A log that cannot be read ends the stream and is answered as an error after it: a failure
    // inside the race would wait for shutdown, leaving the client waiting (Effect.race waits for
    // the other side when one fails).
    let unreadable: TailError | undefined
    const readable = frames.pipe(Stream.catchAll((error) => ((unreadable = error), Stream.empty)))
    const shutDown = yield* Effect.race(Effect.as(reply.stream(readable), false), Effect.as(lifecycle.shutdown, true))
    if (shutDown) return yield* reply.send(response("StreamEnd", { reason: "shutdown" }, id))
    if (unreadable !== undefined) {
      const { path, message } = unreadable
      return yield* new LogUnreadable({ path, message: `${message} (move it aside to read the rest: mv '${path}' '${path}.unreadable')` })
    }
    const now = yield* repo.store.getJob(row.invocation_id, row.name).pipe(Effect.orDie)
    const terminal = now !== undefined && isTerminalStatus(now.status)
    yield* reply.send(response("StreamEnd", { reason: terminal ? "terminal" : "replayed" }, id))
  })
