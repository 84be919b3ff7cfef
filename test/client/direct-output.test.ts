// hookctl writes its output to the fd itself when it is no terminal (client/output.ts), instead of
// building process.stdout: the same bytes must come out, into a file, a pipe, a socket or a
// non-blocking pipe, a reader that leaves early must still end the run quietly, and HOOKD_RAW_PIPE=0
// (node's streams, as before) must print exactly the same.
import { execFileSync, spawn } from "node:child_process"
import { closeSync, constants, openSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { writeToFd } from "../../src/client/output"
import type { JobInfo } from "../../src/protocol/types"
import { job } from "./job-info"
import { useScriptedServer } from "./scripted-server"
import { runCommand } from "../support/run"
import { HOOKCTL_BIN, tempDir } from "./support"

describe("writeToFd", () => {
  const errno = (code: string) => Object.assign(new Error(code), { code })

  it("writes everything, however little each write takes", () => {
    const written: string[] = []
    const left = writeToFd(1, Buffer.from("abcdefgh"), (_, bytes, offset, length) => {
      const n = Math.min(3, length)
      written.push(bytes.subarray(offset, offset + n).toString())
      return n
    })
    expect(left).toBeUndefined()
    expect(written).toEqual(["abc", "def", "gh"])
  })

  it("leaves the rest to the stream after EAGAIN (a non-blocking fd) or another failure", () => {
    for (const code of ["EAGAIN", "EIO"]) {
      let calls = 0
      const left = writeToFd(1, Buffer.from("abcdef"), () => {
        if (calls++ === 0) return 2
        throw errno(code)
      })
      expect(left?.toString()).toBe("cdef")
    }
  })

  it("EPIPE (the reader has gone) ends the run", () => {
    let gone = 0
    writeToFd(1, Buffer.from("x"), () => {
      throw errno("EPIPE")
    }, () => gone++)
    expect(gone).toBe(1)
  })
})

/** More than a pipe holds, so that writes block (or would block) while the reader catches up. */
const MANY_JOBS: JobInfo[] = Array.from({ length: 3000 }, (_, i) => job({ name: `job-${i}`, command: `echo ${"x".repeat(200)} ${i}` }))

describe("hookctl's output, written to the fd and through node's streams", () => {
  let repo: string
  let env: Record<string, string>
  const temp = tempDir("hookctl-direct-output-files-")
  afterAll(() => temp.cleanup())
  const { serve } = useScriptedServer("hookctl-direct-output-", (ready) => ({ repo, env } = ready))
  const ways = [
    ["to the fd", {}],
    ["through node's streams", { HOOKD_RAW_PIPE: "0" }]
  ] as const

  /** `sh -c <script>` with hookctl as "$@"; its result. */
  const shell = (script: string, args: string[], extra: Record<string, string>) =>
    runCommand("sh", ["-c", script, "sh", process.execPath, HOOKCTL_BIN, ...args], { cwd: repo, env: { ...env, ...extra } })

  it("into a file and into a pipe: the same bytes both ways", async () => {
    await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: MANY_JOBS } }] }))
    const results = []
    for (const [name, extra] of ways) {
      const file = join(temp.dir, `ls-${name.replace(/\W/g, "-")}.json`)
      const toFile = await shell('"$@" > "$OUT"', ["ls", "--json"], { ...extra, OUT: file })
      expect(toFile).toMatchObject({ code: 0, stdout: "", stderr: "" })
      const toPipe = await shell('"$@" | cat', ["ls", "--json"], extra)
      expect(toPipe).toMatchObject({ code: 0, stderr: "" })
      results.push({ file: readFileSync(file, "utf8"), pipe: toPipe.stdout })
    }
    expect(JSON.parse(results[0]!.file)).toEqual(MANY_JOBS)
    expect(results[0]).toEqual({ file: results[0]!.pipe, pipe: results[0]!.pipe })
    expect(results[1]).toEqual(results[0])
  })

  it.each(ways)("a reader that leaves after the first chunk (%s): exit 0, nothing on stderr", async (_, extra) => {
    await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: MANY_JOBS } }] }))
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [HOOKCTL_BIN, "ls", "--json"], { cwd: repo, env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] })
      let stderr = ""
      child.stderr.on("data", (d) => (stderr += d))
      child.stdout.once("data", () => child.stdout.destroy())
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, stderr }))
    })
    expect(r).toEqual({ code: 0, stderr: "" })
  })

  it.each(ways)("into a non-blocking pipe (%s): a write that would block hands the rest to the stream, every byte arrives", async (_, extra) => {
    await serve(() => ({ answers: [{ kind: "Jobs", payload: { jobs: MANY_JOBS } }] }))
    const fifo = join(temp.dir, `fifo-${Object.keys(extra).length}`)
    execFileSync("mkfifo", [fifo])
    // A non-blocking open file on the FIFO (O_RDWR: opening needs no reader yet), which hookctl's
    // stdout then shares — node makes a child's own fds 0-2 blocking, so it goes in as fd 3 and sh
    // puts it on stdout. `cat` reads it (no fd of the test's own is wrapped in a stream).
    const reader = runCommand("cat", [fifo], { cwd: repo, env })
    const writeFd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)
    const child = spawn("sh", ["-c", 'exec "$@" >&3 3>&-', "sh", process.execPath, HOOKCTL_BIN, "ls", "--json"], {
      cwd: repo,
      env: { ...env, ...extra },
      stdio: ["ignore", "ignore", "pipe", writeFd]
    })
    closeSync(writeFd)
    let stderr = ""
    child.stderr!.on("data", (d) => (stderr += d))
    const code = await new Promise((resolve) => child.on("close", resolve))
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" })
    const read = await reader
    expect(read.code).toBe(0)
    expect(JSON.parse(read.stdout)).toEqual(MANY_JOBS)
  })
})
