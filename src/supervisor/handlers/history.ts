// Retry and Prune (issue 5). Until they land, they answer BAD_REQUEST "not implemented yet".
import { Effect } from "effect"
import type { RequestPayloads, ResponsePayloads } from "../../protocol/types"
import { BadRequest } from "../errors"

export const retry = (_request: RequestPayloads["Retry"]): Effect.Effect<ResponsePayloads["RunAccepted"], BadRequest> =>
  Effect.fail(new BadRequest({ message: "Retry is not implemented yet" }))

export const prune = (_request: RequestPayloads["Prune"]): Effect.Effect<ResponsePayloads["Pruned"], BadRequest> =>
  Effect.fail(new BadRequest({ message: "Prune is not implemented yet" }))
