// The store as an Effect capability, so the supervisor can be tested with another implementation.
import { Context, Effect, Layer } from "effect"
import { clearStaleLock, openRepoStore } from "./open"

export class Store extends Context.Tag("hookd/Store")<
  Store,
  { readonly open: typeof openRepoStore; readonly clearStaleLock: typeof clearStaleLock }
>() {}

export const StoreLive: Layer.Layer<Store> = Layer.succeed(Store, {
  open: Effect.fn("Store.open")(openRepoStore),
  clearStaleLock: Effect.fn("Store.clearStaleLock")(clearStaleLock)
})
