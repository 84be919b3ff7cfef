// Bad input against the live server: every one gets a clear error and the server keeps serving.
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { encodeFrame } from "../../src/protocol/framing"
import { makeGitRepo } from "../support/git"
import { makeSandbox, startSupervisor, TestClient, type RunningSupervisor, type Sandbox } from "../support/supervisor"

let sandbox: Sandbox
let hookd: RunningSupervisor

beforeAll(async () => {
  sandbox = makeSandbox()
  hookd = await startSupervisor(sandbox)
})
afterAll(async () => {
  try {
    await hookd?.stopCleanly()
  } finally {
    sandbox?.cleanup()
  }
})

const header = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** Asks Status over `c` until the server counts exactly `n` open connections (each answer is a round trip). */
const untilConnections = async (c: TestClient, n: number): Promise<void> => {
  for (;;) {
    const status = await c.request("Status", {})
    if (status.kind !== "SupervisorStatus") throw new Error(`Status answered ${JSON.stringify(status)}`)
    if ((status.payload as { connections: number }).connections === n) return
  }
}

describe("protocol abuse", () => {
  it("a wrong v gets SCHEMA_MISMATCH and the connection still works", async () => {
    const c = await TestClient.connect(sandbox.socket)
    c.send("Status", {}, { v: 2 })
    expect(await c.next()).toMatchObject({ kind: "Error", payload: { code: "SCHEMA_MISMATCH" } })
    expect((await c.request("Status", {})).kind).toBe("SupervisorStatus")
    c.close()
  })

  it("garbage bytes get BAD_FRAME and the connection still works", async () => {
    const c = await TestClient.connect(sandbox.socket)
    const body = Buffer.from("this is not json")
    await c.write(Buffer.concat([header(body.length), body]))
    expect(await c.next()).toMatchObject({ kind: "Error", payload: { code: "BAD_FRAME" } })
    expect((await c.request("Hello", { client: "test", client_version: "0" })).kind).toBe("Welcome")
    c.close()
  })

  it("a 9 MiB header gets FRAME_TOO_LARGE and the connection is closed", async () => {
    const c = await TestClient.connect(sandbox.socket)
    await c.write(header(9 * 1024 * 1024))
    expect(await c.next()).toMatchObject({ kind: "Error", payload: { code: "FRAME_TOO_LARGE" } })
    await c.closed
  })

  it("an unknown request gets BAD_REQUEST naming it", async () => {
    const c = await TestClient.connect(sandbox.socket)
    await c.write(encodeFrame({ v: 1, id: "x", req: "Explode", payload: {} }))
    const r = await c.next()
    expect(r).toMatchObject({ kind: "Error", id: "x", payload: { code: "BAD_REQUEST" } })
    expect(JSON.stringify(r)).toMatch(/Explode/)
    c.close()
  })

  it("a missing repo gets REPO_NOT_FOUND", async () => {
    const c = await TestClient.connect(sandbox.socket)
    const r = await c.request("ListJobs", { repo_root: join(sandbox.dir, "not-a-repo") })
    expect(r).toMatchObject({ kind: "Error", payload: { code: "REPO_NOT_FOUND" } })
    c.close()
  })

  it("a directory that is not a git repository gets REPO_NOT_FOUND", async () => {
    const c = await TestClient.connect(sandbox.socket)
    const r = await c.request("GetJob", { job: { repo_root: sandbox.dir, name: "x" } })
    expect(r).toMatchObject({ kind: "Error", payload: { code: "REPO_NOT_FOUND" } })
    c.close()
  })

  it("a repository hookd never ran a job for lists nothing, finds no job, and gets no database", async () => {
    const repo = makeGitRepo(join(sandbox.dir, "repo-unseen"))
    const c = await TestClient.connect(sandbox.socket)
    expect(await c.request("ListJobs", { repo_root: repo })).toMatchObject({ kind: "Jobs", payload: { jobs: [] } })
    expect(await c.request("GetJob", { job: { repo_root: repo, name: "x" } })).toMatchObject({ kind: "Error", payload: { code: "JOB_NOT_FOUND" } })
    expect((await c.request("Status", {})).payload).toMatchObject({ repos: 0 })
    c.close()
  })

  it("300 simultaneous connections: the extras get BUSY and the server keeps serving", async () => {
    // One of the 300 watches the server's own count: the slots of earlier tests' connections (and
    // later of these) are freed when the server sees them close, which can come after our close.
    const observer = await TestClient.connect(sandbox.socket)
    await untilConnections(observer, 1)
    const others = await Promise.all(Array.from({ length: 299 }, () => TestClient.connect(sandbox.socket)))
    // Every client asks once; 256 connections are served, the rest are told BUSY and closed.
    const answers = await Promise.all([
      observer.request("Hello", { client: "t", client_version: "0" }),
      ...others.map((c) => c.request("Hello", { client: "t", client_version: "0" }).catch(() => undefined))
    ])
    const busy = answers.filter((a) => a?.kind === "Error" && (a.payload as { code: string }).code === "BUSY").length
    const welcomed = answers.filter((a) => a?.kind === "Welcome").length
    expect(welcomed).toBe(256)
    expect(busy).toBe(44)
    for (const c of others) c.close()
    // The server frees the 255 slots as it sees the closes: wait for that, then a newcomer is served.
    await untilConnections(observer, 1)
    const fresh = await TestClient.connect(sandbox.socket)
    expect(await fresh.request("Status", {})).toMatchObject({ kind: "SupervisorStatus", payload: { connections: 2 } })
    fresh.close()
    observer.close()
  })

  it("an unknown field is ignored (forward compatibility)", async () => {
    const repo = makeGitRepo(join(sandbox.dir, "repo-fwd"))
    const c = await TestClient.connect(sandbox.socket)
    await c.write(encodeFrame({ v: 1, req: "ListJobs", payload: { repo_root: repo, future_field: 1 }, also_new: true }))
    expect((await c.next()).kind).toBe("Jobs")
    c.close()
  })
})
