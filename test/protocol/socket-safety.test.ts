// The client's check of the socket before it connects (issue 14 item 1): a pure verdict on what
// lstat saw, and the same check against real files.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describeUid, judgeSocket, unsafeSocket } from "../../src/protocol/socket-safety"

type Kind = "dir" | "socket" | "file" | "symlink"
const stat = (kind: Kind, uid: number, mode: number) => ({
  uid,
  mode,
  isDirectory: () => kind === "dir",
  isSocket: () => kind === "socket",
  isSymbolicLink: () => kind === "symlink"
})
const names = (uid: number) => (uid === 1001 ? "mallory" : undefined)
const ME = 1000
const PATH = "/tmp/hookd-1000/hookd.sock"

describe("judgeSocket", () => {
  it.each([
    ["no directory yet: nothing to connect to", undefined, undefined, undefined],
    ["own 0700 directory, no socket yet", stat("dir", ME, 0o40700), undefined, undefined],
    ["own 0700 directory, own socket", stat("dir", ME, 0o40700), stat("socket", ME, 0o140600), undefined],
    ["own socket with a loose mode inside a private directory", stat("dir", ME, 0o40700), stat("socket", ME, 0o140777), undefined],
    ["directory owned by another user", stat("dir", 1001, 0o40777), stat("socket", 1001, 0o140777), "DirNotOwned"],
    ["another user's private directory", stat("dir", 1001, 0o40700), undefined, "DirNotOwned"],
    ["own directory open to the group", stat("dir", ME, 0o40750), stat("socket", ME, 0o140600), "DirTooOpen"],
    ["own directory open to everyone", stat("dir", ME, 0o40777), undefined, "DirTooOpen"],
    ["the directory is a symlink", stat("symlink", 1001, 0o120777), undefined, "DirNotADirectory"],
    ["the directory is a file", stat("file", ME, 0o100600), undefined, "DirNotADirectory"],
    ["another user's socket in my directory", stat("dir", ME, 0o40700), stat("socket", 1001, 0o140777), "SocketNotOwned"],
    ["a regular file where the socket should be", stat("dir", ME, 0o40700), stat("file", ME, 0o100600), "NotASocket"],
    ["a symlink where the socket should be", stat("dir", ME, 0o40700), stat("symlink", 1001, 0o120777), "NotASocket"]
  ] as const)("%s → %s", (_name, dir, socket, reason) => {
    expect(judgeSocket(PATH, dir, socket, ME, names)?.reason).toBe(reason)
  })

  it("names the path, the owner and the fix when another user owns the directory", () => {
    const message = judgeSocket(PATH, stat("dir", 1001, 0o40777), undefined, ME, names)!.message
    expect(message).toContain("/tmp/hookd-1000")
    expect(message).toContain("uid 1001 (mallory)")
    expect(message).toContain("not by you (uid 1000)")
    expect(message).toContain("Nothing was sent")
    expect(message).toMatch(/To fix: remove it .* XDG_RUNTIME_DIR or HOOKD_SOCKET/)
  })

  it("tells the owner of a too-open directory the chmod that fixes it", () => {
    const message = judgeSocket(PATH, stat("dir", ME, 0o40755), undefined, ME, names)!.message
    expect(message).toContain("mode 0755")
    expect(message).toContain("chmod 700 /tmp/hookd-1000")
  })

  it("describes a uid by name when it has one", () => {
    expect(describeUid(1001, names)).toBe("uid 1001 (mallory)")
    expect(describeUid(7, names)).toBe("uid 7")
  })
})

describe("unsafeSocket on real files", () => {
  let base: string
  let server: Server
  const uid = process.getuid!()

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), "hookd-sock-safety-"))
    mkdirSync(join(base, "private"), { mode: 0o700 })
    server = createServer()
    await new Promise<void>((resolve) => server.listen(join(base, "private", "s.sock"), resolve))
    mkdirSync(join(base, "open"))
    chmodSync(join(base, "open"), 0o777)
    symlinkSync(join(base, "private"), join(base, "link"))
    writeFileSync(join(base, "private", "file.sock"), "")
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(base, { recursive: true, force: true })
  })

  it("accepts the user's own socket in a private directory", () => {
    expect(unsafeSocket(join(base, "private", "s.sock"), uid)).toBeUndefined()
  })
  it("accepts a path that does not exist yet (autostart makes it)", () => {
    expect(unsafeSocket(join(base, "absent", "s.sock"), uid)).toBeUndefined()
  })
  it("refuses a directory open to others", () => {
    expect(unsafeSocket(join(base, "open", "s.sock"), uid)?.reason).toBe("DirTooOpen")
  })
  it("does not follow a symlinked directory", () => {
    expect(unsafeSocket(join(base, "link", "s.sock"), uid)?.reason).toBe("DirNotADirectory")
  })
  it("refuses a non-socket at the path", () => {
    expect(unsafeSocket(join(base, "private", "file.sock"), uid)?.reason).toBe("NotASocket")
  })
  it("refuses a directory owned by another uid", () => {
    expect(unsafeSocket(join(base, "private", "s.sock"), uid + 1)?.reason).toBe("DirNotOwned")
  })
})
