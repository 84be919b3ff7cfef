// The one mapping from service errors to protocol error codes.
import { describe, expect, it } from "vitest"
import { toProtocolError } from "../../src/supervisor/errors"

describe("toProtocolError", () => {
  it.each([
    [{ _tag: "JobNotFound", message: "no job" }, "JOB_NOT_FOUND"],
    [{ _tag: "NoMatch", message: "none" }, "NO_MATCH"],
    [{ _tag: "BadRequest", message: "bad" }, "BAD_REQUEST"],
    [{ _tag: "RepoNotFound", message: "not a git repository: /x" }, "REPO_NOT_FOUND"],
    [{ _tag: "KillFailed", message: "EPERM" }, "KILL_FAILED"],
    [{ _tag: "ShuttingDown", message: "bye" }, "BUSY"]
  ])("%j → %s", (error, code) => {
    expect(toProtocolError(error)).toMatchObject({ code, message: error.message })
  })

  it("CONFIG_INVALID names file, line and path, and carries them in details", () => {
    expect(toProtocolError({ _tag: "ConfigInvalid", file: "/r/hookd.yml", line: 4, path: "hooks.x", message: "bad" })).toEqual({
      code: "CONFIG_INVALID",
      message: "/r/hookd.yml:4: hooks.x: bad",
      details: { file: "/r/hookd.yml", line: 4, path: "hooks.x", message: "bad" }
    })
  })

  it("AMBIGUOUS lists the candidates", () => {
    expect(toProtocolError({ _tag: "Ambiguous", message: "2 match", candidates: ["aaaa1", "aaaa2"] })).toMatchObject({
      code: "AMBIGUOUS",
      details: { candidates: ["aaaa1", "aaaa2"] }
    })
  })

  it("store refusals keep their explanation; anything unknown is a bare INTERNAL with no detail", () => {
    expect(toProtocolError({ _tag: "PermissionsTooOpen", message: "… chmod 600 /x" })).toEqual({ code: "INTERNAL", message: "… chmod 600 /x" })
    expect(toProtocolError({ _tag: "StoreError", message: "SQLITE_IOERR at /x" })).toEqual({
      code: "INTERNAL",
      message: "internal error (see the supervisor log)"
    })
  })
})
