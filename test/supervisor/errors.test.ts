// The one mapping from service errors to protocol error codes.
import { describe, expect, it } from "vitest"
import { ConfigInvalid } from "../../src/config/errors"
import { KillFailed, ShuttingDown } from "../../src/jobs/errors"
import { RepoNotFound } from "../../src/repos/identity"
import { SweepIoError } from "../../src/retention/errors"
import { DatabaseLocked, ForeignDatabase, NewerSchema, PermissionsTooOpen, StoreError } from "../../src/store/errors"
import { Ambiguous, BadRequest, JobNotFound, NoMatch, toProtocolError, WorktreeGone } from "../../src/supervisor/errors"

describe("toProtocolError", () => {
  it.each([
    [new JobNotFound({ message: "no job" }), "JOB_NOT_FOUND"],
    [new NoMatch({ message: "none" }), "NO_MATCH"],
    [new BadRequest({ message: "bad" }), "BAD_REQUEST"],
    [new RepoNotFound({ path: "/x", message: "not a git repository: /x" }), "REPO_NOT_FOUND"],
    [new WorktreeGone({ path: "/w", message: "worktree /w no longer exists" }), "REPO_NOT_FOUND"],
    [new KillFailed({ pgid: 42, errno: "EPERM", message: "cannot send SIGTERM to process group 42: EPERM" }), "KILL_FAILED"],
    [new ShuttingDown({ message: "bye" }), "BUSY"]
  ])("%s → %s", (error, code) => {
    expect(toProtocolError(error)).toEqual({ code, message: error.message })
  })

  it("CONFIG_INVALID names file, line and path, and carries them in details", () => {
    expect(toProtocolError(new ConfigInvalid({ file: "/r/hookd.yml", line: 4, path: "hooks.x", message: "bad" }))).toEqual({
      code: "CONFIG_INVALID",
      message: "/r/hookd.yml:4: hooks.x: bad",
      details: { file: "/r/hookd.yml", line: 4, path: "hooks.x", message: "bad" }
    })
  })

  it("AMBIGUOUS lists the candidates", () => {
    expect(toProtocolError(new Ambiguous({ message: "2 match", candidates: ["aaaa1", "aaaa2"] }))).toMatchObject({
      code: "AMBIGUOUS",
      details: { candidates: ["aaaa1", "aaaa2"] }
    })
  })

  it.each([
    new PermissionsTooOpen({ path: "/s/coordinator.db", mode: 0o644, fix: "chmod 600 /s/coordinator.db" }),
    new ForeignDatabase({ path: "/s/coordinator.db" }),
    new NewerSchema({ path: "/s/coordinator.db", found: 9, known: 2 }),
    new DatabaseLocked({ path: "/s/coordinator.db" })
  ])("a database hookd must not use is REPO_UNAVAILABLE with the store's explanation: %s", (error) => {
    expect(toProtocolError(error)).toEqual({ code: "REPO_UNAVAILABLE", message: error.message })
    expect(error.message).toContain("/s/coordinator.db")
  })

  it("unexpected I/O failures are a bare INTERNAL: the detail goes to the log, not the wire", () => {
    for (const error of [
      new StoreError({ path: "/x", operation: "update", cause: new Error("SQLITE_IOERR") }),
      new SweepIoError({ path: "/x", operation: "rename", message: "EIO" })
    ]) {
      expect(toProtocolError(error)).toEqual({ code: "INTERNAL", message: "internal error (see the supervisor log)" })
    }
  })
})
