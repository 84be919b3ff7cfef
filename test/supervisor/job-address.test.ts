// Resolving JobAddress prefixes against a real store: none, one, ambiguous, malformed.
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { openRepoStore } from "../../src/store/open"
import { resolveInvocation, resolveJob } from "../../src/supervisor/job-address"
import { newJobRow } from "../../src/jobs/rows"

let dir: string | undefined
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }))

const withRepo = <A, E>(body: (repo: { repoId: string; root: string; store: never }) => Effect.Effect<A, E>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        dir = mkdtempSync(join(tmpdir(), "hookd-address-"))
        const store = yield* openRepoStore({ dbPath: join(dir, "repo", "coordinator.db"), repoId: "0123456789abcdef", root: "/r" })
        for (const id of ["abcd000000000000", "abcd111111111111", "ef01000000000000"]) {
          yield* store.insertInvocation(
            { invocation_id: id, hook: "post-checkout", worktree: "/r", args: [], created_at: 1, status: "completed", supervisor_pid: 1 },
            [newJobRow({ name: "build", run: "true", background: true }, { invocationId: id, hook: "post-checkout", worktree: "/r", env: {}, now: 1 })]
          )
        }
        return yield* body({ repoId: "0123456789abcdef", root: "/r", store: store as never })
      })
    )
  )

describe("resolving invocation prefixes", () => {
  it("one match resolves; none is JOB_NOT_FOUND; several is AMBIGUOUS with every candidate", async () => {
    const result = await withRepo((repo) =>
      Effect.all({
        one: resolveInvocation(repo, "ef01"),
        none: Effect.flip(resolveInvocation(repo, "9999")),
        many: Effect.flip(resolveInvocation(repo, "abcd")),
        bad: Effect.flip(resolveInvocation(repo, "ABC"))
      })
    )
    expect(result.one).toBe("ef01000000000000")
    expect(result.none._tag).toBe("JobNotFound")
    expect(result.many._tag).toBe("Ambiguous")
    expect([...(result.many as unknown as { candidates: string[] }).candidates].sort()).toEqual(["abcd000000000000", "abcd111111111111"])
    expect(result.many.message).toBe('invocation prefix "abcd" is ambiguous: 2 invocations match; use a longer prefix')
    expect(result.bad._tag).toBe("BadRequest")
  })

  it("a job name without a prefix means its newest invocation; an unknown name is JOB_NOT_FOUND", async () => {
    const result = await withRepo((repo) =>
      Effect.all({ found: resolveJob(repo, { repo_root: "/r", name: "build" }), missing: Effect.flip(resolveJob(repo, { repo_root: "/r", name: "lint" })) })
    )
    expect(result.found.name).toBe("build")
    expect(result.missing._tag).toBe("JobNotFound")
  })
})
