import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { RequestEnvelopeSchemas } from "../../src/protocol/schemas"
import { describe, expect, it } from "vitest"
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from "../../src/protocol/codec"
import type { JobInfo, RequestName, ResponseKind } from "../../src/protocol/types"
import { REQUEST_NAMES } from "../../src/protocol/types"

const repo = "/home/ada/src/shop"
const address = { repo_root: repo, invocation_prefix: "3f9a", name: "build" }

/** One realistic request of every kind, exactly as a client puts it on the wire. */
const requestExamples: { readonly [K in RequestName]: Record<string, unknown> } = {
  Hello: { v: 1, id: "c1", req: "Hello", payload: { client: "hookctl", client_version: "0.1.0" } },
  Status: { v: 1, id: "c2", req: "Status", payload: {} },
  RunJobs: {
    v: 1,
    id: "c3",
    req: "RunJobs",
    payload: {
      repo_root: repo,
      worktree: `${repo}-feature`,
      hook: "post-checkout",
      args: ["a1b2c3", "d4e5f6", "1"],
      stdin: "",
      env: { PATH: "/usr/bin:/bin", HOME: "/home/ada" },
      mode: "auto",
      wait: false,
      jobs: [
        { name: "install", run: "npm install", tags: ["deps"], background: true },
        {
          name: "build",
          run: "npm run build",
          cwd: "packages/web",
          env: { NODE_ENV: "development" },
          needs: ["install"],
          background: true,
          timeout_ms: 600000,
          log: { retention_secs: 86400, max_bytes: 10485760, sampling_every_nth: 1 }
        },
        { name: "lint", run: "npm run lint", background: false, skip_reason: "merge in progress" }
      ]
    }
  },
  ListJobs: {
    v: 1,
    req: "ListJobs",
    payload: { repo_root: repo, worktree: repo, hook: "post-checkout", status: ["running", "failed"], tag: "deps", limit: 50 }
  },
  GetJob: { v: 1, id: "c5", req: "GetJob", payload: { job: address } },
  CancelJob: { v: 1, id: "c6", req: "CancelJob", payload: { job: { repo_root: repo, name: "install" } } },
  CancelAll: { v: 1, id: "c7", req: "CancelAll", payload: { repo_root: repo } },
  CancelMatching: {
    v: 1,
    id: "c8",
    req: "CancelMatching",
    payload: { repo_root: repo, hook: "post-checkout", tag: "deps", older_than_secs: 3600 }
  },
  TailLogs: {
    v: 1,
    id: "c9",
    req: "TailLogs",
    payload: { job: address, follow: true, since_seq: 120, kinds: ["stdout", "status"] }
  },
  Retry: { v: 1, id: "c10", req: "Retry", payload: { invocation_prefix: "3f9a0c", repo_root: repo } },
  Prune: { v: 1, id: "c11", req: "Prune", payload: { repo_root: repo, dry_run: true, older_than_secs: 2592000 } },
  Shutdown: { v: 1, id: "c12", req: "Shutdown", payload: {} }
}

const jobInfo: JobInfo = {
  repo_id: "0123456789abcdef",
  repo_root: repo,
  invocation_id: "3f9a0c1d2e3f4a5b",
  name: "build",
  hook: "post-checkout",
  worktree: repo,
  command: "npm run build",
  cwd: "packages/web",
  status: "failed",
  exit_code: 2,
  signal: null,
  pid: 4242,
  tags: ["deps"],
  needs: ["install"],
  background: true,
  queued_at: 1732450000000,
  started_at: 1732450000123,
  finished_at: 1732450004123,
  duration_ms: 4000,
  log_bytes: 2048,
  skip_reason: null,
  error: null,
  input_key: null,
  input_match: null
}

/** One realistic response of every kind, exactly as the supervisor puts it on the wire. */
const responseExamples: { readonly [K in ResponseKind]: ReadonlyArray<Record<string, unknown>> } = {
  Welcome: [{
    v: 1,
    id: "c1",
    kind: "Welcome",
    payload: {
      server_version: "0.1.0",
      protocol_versions: [1],
      pid: 4100,
      started_at: 1732449000000,
      state_dir: "/home/ada/.local/state/hookd"
    }
  }],
  SupervisorStatus: [{
    v: 1,
    id: "c2",
    kind: "SupervisorStatus",
    payload: {
      pid: 4100,
      uptime_ms: 1000000,
      repos: 3,
      running: 1,
      queued: 0,
      connections: 2,
      rss_bytes: 73400320,
      version: "0.1.0",
      last_sweep: { at: 1732449000500, invocations: 4, bytes: 123456 }
    }
  }],
  RunAccepted: [{
    v: 1,
    id: "c3",
    kind: "RunAccepted",
    payload: {
      invocation_id: "3f9a0c1d2e3f4a5b",
      repo_id: "0123456789abcdef",
      jobs: [{ name: "install", status: "running" }, { name: "build", status: "queued" }]
    }
  }],
  Jobs: [{ v: 1, kind: "Jobs", payload: { jobs: [jobInfo, { ...jobInfo, name: "install", status: "completed" }] } }],
  Job: [{ v: 1, id: "c5", kind: "Job", payload: { job: jobInfo } }],
  Cancelled: [{ v: 1, id: "c6", kind: "Cancelled", payload: { count: 2, names: ["install", "build"] } }],
  StreamFrame: [
    { v: 1, id: "c9", kind: "StreamFrame", payload: { record: { seq: 0, ts: 1732450000123, kind: "status", data: { event: "started", pid: 4242 } } } },
    { v: 1, id: "c9", kind: "StreamFrame", payload: { record: { seq: 1, ts: 1732450000130, kind: "stdout", data: "installing…" } } },
    { v: 1, id: "c3", kind: "StreamFrame", payload: { job: "lint", record: { seq: 2, ts: 1732450000131, kind: "stderr", data: "warn: x" } } },
    { v: 1, kind: "StreamFrame", payload: { record: { seq: 3, ts: 1732450001000, kind: "status", data: { event: "finished", exit_code: 0 } } } },
    { v: 1, kind: "StreamFrame", payload: { record: { seq: 4, ts: 1732450001000, kind: "status", data: { event: "cancelled", by: "shutdown" } } } },
    { v: 1, kind: "StreamFrame", payload: { record: { seq: 5, ts: 1732450001000, kind: "status", data: { event: "truncated", at_bytes: 10485760 } } } }
  ],
  StreamEnd: [
    { v: 1, id: "c9", kind: "StreamEnd", payload: { reason: "terminal" } },
    { v: 1, id: "c3", kind: "StreamEnd", payload: { outcome: "failed" } }
  ],
  Pruned: [{
    v: 1,
    id: "c11",
    kind: "Pruned",
    payload: {
      invocations: 1,
      jobs: 2,
      bytes: 4096,
      dry_run: true,
      items: [{ repo_id: "0123456789abcdef", invocation_id: "3f9a0c1d2e3f4a5b", worktree: repo, reason: "older_than", jobs: 2, bytes: 4096 }]
    }
  }],
  Ack: [{ v: 1, id: "c12", kind: "Ack", payload: { message: "shutting down" } }],
  Error: [
    { v: 1, id: "c5", kind: "Error", payload: { code: "AMBIGUOUS", message: "prefix 3f9a matches 2 invocations", details: { candidates: ["3f9a0c1d2e3f4a5b", "3f9a77aa00112233"] } } },
    { v: 1, kind: "Error", payload: { code: "JOB_NOT_FOUND", message: "no job named build" } }
  ]
}

const decodedRequest = (raw: Record<string, unknown>) => {
  const result = decodeRequest(raw)
  if (Either.isLeft(result)) throw new Error(`expected ${JSON.stringify(raw)} to decode: ${result.left.message}`)
  return result.right
}

/** What Schema alone makes of a request (the reference for decodeRequest's shortcut). */
const schemaDecoded = (raw: Record<string, unknown>) =>
  Schema.decodeUnknownSync(RequestEnvelopeSchemas[raw.req as RequestName] as Schema.Schema<unknown, unknown>)(raw, { errors: "all", onExcessProperty: "ignore" })

const requestError = (raw: Record<string, unknown>) => {
  const result = decodeRequest(raw)
  if (Either.isRight(result)) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`)
  return result.left
}

describe("decodeRequest: valid requests", () => {
  it.each(REQUEST_NAMES)("%s decodes from its JSON example and encodes back to the same JSON", (name) => {
    const example = requestExamples[name]
    const request = decodedRequest(example)
    expect(request.req).toBe(name)
    expect(encodeRequest(request)).toEqual(example)
  })

  it.each(["Status", "Shutdown", "CancelAll", "ListJobs"] as const)("%s without a payload decodes as {}", (name) => {
    expect(decodedRequest({ v: 1, req: name })).toEqual({ v: 1, req: name, payload: {} })
  })

  it("ignores unknown fields in the envelope, the payload and nested values", () => {
    const request = decodedRequest({
      v: 1,
      id: "x",
      req: "GetJob",
      trace: "abc",
      payload: { job: { ...address, colour: "blue" }, priority: 3 }
    })
    expect(request).toEqual({ v: 1, id: "x", req: "GetJob", payload: { job: address } })
  })
})

describe("decodeRequest: the requester's environment (checked by a loop, not through Schema)", () => {
  const runJobs = (env: unknown, extra: Record<string, unknown> = {}) => ({ ...requestExamples.RunJobs, payload: { ...(requestExamples.RunJobs.payload as object), env, ...extra } })

  it.each([
    ["RunJobs", runJobs({ PATH: "/bin", EMPTY: "", "WITH=EQUALS": "a=b", "ünï": "cödé" })],
    ["Retry", { v: 1, req: "Retry", payload: { job: address, repo_root: repo, env: { HOME: "/home/ada", GIT_DIR: ".git" } } }]
  ] as const)("%s: a record of strings decodes to what Schema decodes it to", (_name, raw) => {
    const request = decodedRequest(raw)
    expect(request).toEqual(schemaDecoded(raw))
    expect((request.payload as { env: unknown }).env).toEqual((raw.payload as { env: unknown }).env)
  })

  it("keeps a __proto__ variable as a variable (JSON.parse made it an own key)", () => {
    const raw = JSON.parse('{"v":1,"req":"RunJobs","payload":{"repo_root":"/r","worktree":"/r","hook":"pre-commit","args":[],"env":{"__proto__":"x","A":"1"},"mode":"auto","wait":true}}')
    const env = (decodedRequest(raw).payload as { env: Record<string, string> }).env
    expect(Object.keys(env).sort()).toEqual(["A", "__proto__"])
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype)
  })

  it.each([
    ["a number", { PATH: "/bin", N: 3 }, "payload.env.N"],
    ["null", { PATH: null }, "payload.env.PATH"],
    ["an array", ["PATH=/bin"], "payload.env"],
    ["a string", "PATH=/bin", "payload.env"]
  ])("an environment holding %s is refused with its path, as before", (_what, env, path) => {
    const error = requestError(runJobs(env))
    expect(error.code).toBe("BAD_REQUEST")
    expect((error.details as Array<{ path: string }>).map((d) => d.path)).toContain(path)
  })

  it("an environment of strings beside another bad field still reports that field", () => {
    const error = requestError(runJobs({ PATH: "/bin" }, { mode: "sometimes" }))
    expect((error.details as Array<{ path: string }>).map((d) => d.path)).toEqual(["payload.mode"])
  })
})

describe("decodeRequest: rejected requests", () => {
  it("answers v: 2 with SCHEMA_MISMATCH naming the supported versions, echoing the id", () => {
    const error = requestError({ v: 2, id: "q", req: "Status", payload: {} })
    expect(error.code).toBe("SCHEMA_MISMATCH")
    expect(error.id).toBe("q")
    expect(error.details).toEqual({ supported: [1] })
    expect(error.message).toContain("version 2")
    expect(error.message).toContain("1")
  })

  it.each([
    ["missing", {}],
    ["a string", { v: "1" }],
    ["null", { v: null }]
  ])("answers a version that is %s with BAD_REQUEST", (_, version) => {
    const error = requestError({ ...version, id: "q", req: "Status" })
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: "missing protocol version field v", id: "q" })
  })

  it("checks the version before the request name", () => {
    expect(requestError({ v: 3, req: "Frobnicate" }).code).toBe("SCHEMA_MISMATCH")
  })

  it("answers an unknown req with BAD_REQUEST naming it and the known requests", () => {
    const error = requestError({ v: 1, id: "q", req: "Frobnicate", payload: {} })
    expect(error.code).toBe("BAD_REQUEST")
    expect(error.id).toBe("q")
    expect(error.message).toContain('"Frobnicate"')
    for (const name of REQUEST_NAMES) expect(error.message).toContain(name)
  })

  it("answers a missing req with BAD_REQUEST", () => {
    const error = requestError({ v: 1, payload: {} })
    expect(error.code).toBe("BAD_REQUEST")
    expect(error.message).toContain("req")
    expect(error.id).toBeUndefined()
  })

  it("answers a missing nested field with the readable path of the problem", () => {
    const error = requestError({ v: 1, id: "q", req: "GetJob", payload: { job: { repo_root: repo } } })
    expect(error.code).toBe("BAD_REQUEST")
    expect(error.id).toBe("q")
    expect(error.message).toContain("payload.job.name: is missing")
    expect(error.details).toEqual([{ path: "payload.job.name", message: "is missing" }])
  })

  it("answers a missing required payload with BAD_REQUEST", () => {
    expect(requestError({ v: 1, req: "GetJob" }).message).toContain("payload: is missing")
  })

  it("reports every problem, with array indexes in the path", () => {
    const runJobs = requestExamples.RunJobs.payload as Record<string, unknown>
    const error = requestError({
      v: 1,
      req: "RunJobs",
      payload: { ...runJobs, mode: "later", jobs: [{ name: "ok", run: "true" }] }
    })
    const paths = (error.details as Array<{ path: string; message: string }>).map((d) => d.path)
    expect(paths).toEqual(expect.arrayContaining(["payload.mode", "payload.jobs[0].background"]))
    expect(error.message).toContain('Expected one of "auto", "foreground", "background", actual "later"')
  })

  it("does not echo an id that is not a string", () => {
    expect(requestError({ v: 1, id: 7, req: "Nope" }).id).toBeUndefined()
  })

  it.each([
    ["negative since_seq", { job: address, follow: false, since_seq: -1 }, "payload.since_seq"],
    ["fractional since_seq", { job: address, follow: false, since_seq: 1.5 }, "payload.since_seq"],
    ["unknown log kind", { job: address, follow: false, kinds: ["stdout", "trace"] }, "payload.kinds[1]"]
  ])("TailLogs with a %s is BAD_REQUEST", (_, payload, path) => {
    const error = requestError({ v: 1, req: "TailLogs", payload })
    expect(error.code).toBe("BAD_REQUEST")
    expect(error.message).toContain(`${path}: `)
  })

  it("rejects a non-integer limit and timeout", () => {
    expect(requestError({ v: 1, req: "ListJobs", payload: { limit: 2.5 } }).message).toContain("payload.limit")
    const jobs = [{ name: "a", run: "true", background: true, timeout_ms: -5 }]
    const runJobs = { ...(requestExamples.RunJobs.payload as object), jobs }
    expect(requestError({ v: 1, req: "RunJobs", payload: runJobs }).message).toContain("payload.jobs[0].timeout_ms")
  })

  it.each(["../etc", ".hidden", "", "a b", "x".repeat(129)])("rejects the job name %j with a readable message", (name) => {
    const runJobs = { ...(requestExamples.RunJobs.payload as object), jobs: [{ name, run: "true", background: true }] }
    const error = requestError({ v: 1, req: "RunJobs", payload: runJobs })
    expect(error.message).toContain("payload.jobs[0].name: job name")
    expect(error.message).toContain("must start with a letter or digit")
  })

  it("accepts a job name of 128 characters", () => {
    const runJobs = { ...(requestExamples.RunJobs.payload as object), jobs: [{ name: "x".repeat(128), run: "true", background: true }] }
    expect(Either.isRight(decodeRequest({ v: 1, req: "RunJobs", payload: runJobs }))).toBe(true)
  })

  it("rejects an invocation prefix shorter than 4 hex characters", () => {
    const error = requestError({ v: 1, req: "GetJob", payload: { job: { ...address, invocation_prefix: "3f9" } } })
    expect(error.message).toContain("payload.job.invocation_prefix: invocation prefix \"3f9\"")
  })

  it("rejects CancelMatching without any predicate", () => {
    const error = requestError({ v: 1, req: "CancelMatching", payload: {} })
    expect(error.message).toContain("payload: CancelMatching needs at least one of repo_root")
  })

  it("rejects Retry naming neither a job nor an invocation", () => {
    expect(requestError({ v: 1, req: "Retry", payload: { repo_root: repo } }).message).toContain("Retry needs at least one of job")
  })
})

describe("decodeResponse", () => {
  const cases = (Object.keys(responseExamples) as Array<ResponseKind>).flatMap((kind) =>
    responseExamples[kind].map((example, i) => [`${kind} #${i + 1}`, example] as const)
  )

  it.each(cases)("%s decodes and encodes back to the same JSON", (_, example) => {
    const result = decodeResponse(example)
    if (Either.isLeft(result)) throw new Error(String(result.left))
    expect(result.right.kind).toBe(example.kind)
    expect(encodeResponse(result.right)).toEqual(example)
  })

  it("reads a job status it does not know as \"unknown\"", () => {
    const result = decodeResponse({ v: 1, kind: "Job", payload: { job: { ...jobInfo, status: "paused" } } })
    expect(Either.isRight(result) && result.right.kind === "Job" && result.right.payload.job.status).toBe("unknown")
  })

  it("ignores unknown fields in a response", () => {
    const result = decodeResponse({ v: 1, kind: "Ack", payload: { message: "ok", extra: 1 }, server: "x" })
    expect(Either.getOrThrow(result)).toEqual({ v: 1, kind: "Ack", payload: { message: "ok" } })
  })

  it("rejects a response with an unknown error code", () => {
    expect(Either.isLeft(decodeResponse({ v: 1, kind: "Error", payload: { code: "OOPS", message: "x" } }))).toBe(true)
  })
})
