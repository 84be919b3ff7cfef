// Cross-repo requests (ListJobs all_repos, Prune of every repository) answer for the repositories
// they can read and name the ones they cannot, instead of failing as a whole: one damaged
// coordinator.db must not hide every other repository's jobs (issue 14 item 9).
import { Effect } from "effect"
import type { UnavailableRepo } from "../protocol/types"
import { logWarn } from "../logging/event-log"
import type { OpenRepo, UnavailableRepo as NotOpened } from "../repos/registry"
import { toProtocolError, type HandlerError } from "./errors"

/** The repositories a cross-repo answer leaves out, each once (the first reason wins). */
export class LeftOut {
  private readonly byId = new Map<string, UnavailableRepo>()

  constructor(notOpened: ReadonlyArray<NotOpened> = []) {
    for (const { repoId, root, error } of notOpened) this.add(repoId, root, error)
  }

  add(repoId: string, root: string | undefined, error: HandlerError): void {
    if (this.byId.has(repoId)) return
    const { code, message } = toProtocolError(error)
    this.byId.set(repoId, { repo_id: repoId, ...(root !== undefined && root !== "" ? { root } : {}), code, message })
  }

  has(repoId: string): boolean {
    return this.byId.has(repoId)
  }

  /** For the answer: absent when nothing was left out (the field is an optional extra). */
  field(): { unavailable?: ReadonlyArray<UnavailableRepo> } {
    return this.byId.size > 0 ? { unavailable: [...this.byId.values()] } : {}
  }
}

/**
 * `read` of one repository in a cross-repo request: its failure leaves that repository out (logged
 * once, named in the answer) and yields `fallback`; with `leftOut` undefined (a one-repository
 * request) the failure is the answer, as before.
 */
export const perRepo = <A, E extends HandlerError, R>(
  leftOut: LeftOut | undefined,
  repo: Pick<OpenRepo, "repoId"> & { readonly root?: string },
  fallback: A,
  read: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  leftOut === undefined
    ? read
    : Effect.catchAll(read, (error) =>
        leftOut.has(repo.repoId)
          ? Effect.succeed(fallback)
          : Effect.as(
              Effect.zipRight(
                Effect.sync(() => leftOut.add(repo.repoId, repo.root, error)),
                logWarn("repo_left_out", { repo_id: repo.repoId, ...(repo.root !== undefined && { root: repo.root }), error: error.message })
              ),
              fallback
            )
      )
