// Routes each decoded request to its handler and maps every failure to a protocol Error in one
// place (errors.ts). Handlers never write error frames themselves.
import { Cause, Effect } from "effect"
import { errorResponse, response, type RequestEnvelope, type ResponseEnvelope } from "../protocol/types"
import type { Connection, Replier, RequestHandler } from "./socket-server"
import { INTERNAL_MESSAGE, toProtocolError, type HandlerError } from "./errors"
import { logError, logInfo } from "../logging/event-log"
import { cancelAll, cancelJob, cancelMatching } from "./handlers/cancel"
import { getJob, listJobs } from "./handlers/jobs-query"
import { handleRunJobs } from "./handlers/run-jobs"
import { hello, status } from "./handlers/status"
import { tailLogs } from "./handlers/tail"
import { Lifecycle } from "../lifecycle/lifecycle"
import { prune, retry } from "./handlers/history"
import type { JobRunner } from "../jobs/runner"
import type { RepoRegistry } from "../repos/registry"
import type { Retention } from "../retention/service"
import type { SupervisorSettings } from "../settings/settings"

/** The services the handlers use (provided once, from the layers main composes). */
type Requirements = Lifecycle | JobRunner | RepoRegistry | Retention | SupervisorSettings

const route = (request: RequestEnvelope, reply: Replier, connection: Connection): Effect.Effect<void, HandlerError, Requirements> => {
  const id = request.id
  switch (request.req) {
    case "Hello":
      return Effect.flatMap(hello, (p) => reply.send(response("Welcome", p, id)))
    case "Status":
      return Effect.flatMap(status, (p) => reply.send(response("SupervisorStatus", p, id)))
    case "RunJobs":
      return handleRunJobs(request.payload, id, reply, connection)
    case "ListJobs":
      return Effect.flatMap(listJobs(request.payload), (answer) => reply.send(response("Jobs", answer, id)))
    case "GetJob":
      return Effect.flatMap(getJob(request.payload), (job) => reply.send(response("Job", { job }, id)))
    case "CancelJob":
      return Effect.flatMap(cancelJob(request.payload), (p) => reply.send(response("Cancelled", p, id)))
    case "CancelAll":
      return Effect.flatMap(cancelAll(request.payload), (p) => reply.send(response("Cancelled", p, id)))
    case "CancelMatching":
      return Effect.flatMap(cancelMatching(request.payload), (p) => reply.send(response("Cancelled", p, id)))
    case "TailLogs":
      return tailLogs(request.payload, id, reply)
    case "Retry":
      return Effect.flatMap(retry(request.payload), (p) => reply.send(response("RunAccepted", p, id)))
    case "Prune":
      return Effect.flatMap(prune(request.payload), (p) => reply.send(response("Pruned", p, id)))
    case "Shutdown":
      return Effect.gen(function* () {
        const lifecycle = yield* Lifecycle
        yield* reply.send(response("Ack", { message: "shutting down" }, id))
        yield* logInfo("shutdown_requested", { by: "Shutdown request" })
        yield* lifecycle.requestShutdown("Shutdown request")
      })
  }
}

/**
 * The socket server's handler — run the route, answer typed failures with their protocol error —
 * and its synchronous answers: Hello and Status read only memory, so they are answered without a
 * fiber (issue 13: `hookctl status`; every command's Hello).
 */
export const makeDispatcher = Effect.gen(function* () {
  const context = yield* Effect.context<Requirements>()
  const welcome = yield* hello
  const statusNow = Effect.provide(status, context)
  const answerNow = (request: RequestEnvelope): ResponseEnvelope | undefined => {
    switch (request.req) {
      case "Hello":
        return response("Welcome", welcome, request.id)
      case "Status":
        return response("SupervisorStatus", Effect.runSync(statusNow), request.id)
      default:
        return undefined
    }
  }
  const handler: RequestHandler = (request, reply, connection) =>
    route(request, reply, connection).pipe(
      Effect.catchAll((failure) => {
        const e = toProtocolError(failure)
        const logIt = e.code === "INTERNAL" ? logError("request_failed", { req: request.req, error: failure.message }) : Effect.void
        return Effect.zipRight(logIt, reply.send(errorResponse(e.code, e.message, request.id, e.details)))
      }),
      Effect.catchAllDefect((defect) =>
        Effect.zipRight(
          logError("request_defect", { req: request.req, cause: Cause.pretty(Cause.die(defect)) }),
          reply.send(errorResponse("INTERNAL", INTERNAL_MESSAGE, request.id))
        )
      ),
      Effect.provide(context)
    )
  return { handler, answerNow }
})
