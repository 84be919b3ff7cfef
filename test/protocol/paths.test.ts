// Path rules of SPEC §1: client and supervisor compute the same socket and state paths.
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { jobLogPath, repoDbPath, repoIdFromCommonDir, socketPath, socketPathLimit, stateDir } from "../../src/protocol/paths"

const uid = process.getuid!()

describe("socketPath", () => {
  it.each([
    ["HOOKD_SOCKET wins", { HOOKD_SOCKET: "/x/s.sock", XDG_RUNTIME_DIR: "/run/user/1" }, "/x/s.sock"],
    ["XDG_RUNTIME_DIR/hookd/hookd.sock", { XDG_RUNTIME_DIR: "/run/user/1" }, "/run/user/1/hookd/hookd.sock"],
    ["without XDG_RUNTIME_DIR: <state>/run, never a shared TMPDIR", { TMPDIR: "/var/tmp", HOOKD_STATE_DIR: "/s" }, "/s/run/hookd.sock"],
    ["without XDG_RUNTIME_DIR: the default state dir", { HOME: "/h" }, "/h/.local/state/hookd/run/hookd.sock"]
  ])("%s", (_name, env, expected) => {
    expect(socketPath(env, "linux")).toBe(expected)
  })

  it("a state dir too long for sun_path falls back to /tmp/hookd-<uid>/<hash>.sock", () => {
    const state = "/" + "s".repeat(100)
    const hash = createHash("sha256").update(`${state}/run/hookd.sock`).digest("hex").slice(0, 12)
    expect(socketPath({ HOOKD_STATE_DIR: state }, "linux")).toBe(`/tmp/hookd-${uid}/${hash}.sock`)
  })

  it("a path over the platform limit falls back to /tmp/hookd-<uid>/<12 hex of sha256(path)>.sock", () => {
    const long = "/" + "d".repeat(120) + "/hookd.sock"
    const hash = createHash("sha256").update(long).digest("hex").slice(0, 12)
    expect(socketPath({ HOOKD_SOCKET: long }, "linux")).toBe(`/tmp/hookd-${uid}/${hash}.sock`)
  })

  it("the limit is 107 bytes on Linux and 103 on macOS", () => {
    const at = (n: number) => "/" + "a".repeat(n - 1)
    expect(socketPath({ HOOKD_SOCKET: at(107) }, "linux")).toBe(at(107))
    expect(socketPath({ HOOKD_SOCKET: at(104) }, "darwin")).not.toBe(at(104))
    expect(socketPath({ HOOKD_SOCKET: at(103) }, "darwin")).toBe(at(103))
    expect([socketPathLimit("linux"), socketPathLimit("darwin")]).toEqual([107, 103])
  })
})

describe("stateDir and per-repo paths", () => {
  it.each([
    [{ HOOKD_STATE_DIR: "/s", XDG_STATE_HOME: "/x", HOME: "/h" }, "/s"],
    [{ XDG_STATE_HOME: "/x", HOME: "/h" }, "/x/hookd"],
    [{ HOME: "/h" }, "/h/.local/state/hookd"]
  ])("%j → %s", (env, expected) => {
    expect(stateDir(env)).toBe(expected)
  })

  it("lays out the db and job logs under repos/<repo-id>", () => {
    expect(repoDbPath("/s", "0123456789abcdef")).toBe("/s/repos/0123456789abcdef/coordinator.db")
    expect(jobLogPath("/s", "0123456789abcdef", "aaaabbbbccccdddd", "build")).toBe(
      "/s/repos/0123456789abcdef/logs/aaaabbbbccccdddd/build/output.jsonl"
    )
  })

  it("repo-id is the first 16 hex of sha256 of the common git dir", () => {
    expect(repoIdFromCommonDir("/r/.git")).toBe(createHash("sha256").update("/r/.git").digest("hex").slice(0, 16))
  })
})
